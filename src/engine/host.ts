// What the engine needs from the agent it lives in, and the context its parts
// share. The host is an Agent; a Think host adds chat delivery.

import type { Agent } from "agents";
import type { UIMessage } from "ai";
import type { Ledger } from "./ledger";
import type { BackgroundNotice } from "./notice";
import type { ResolvedOptions } from "./options";

/** The name of the backbone's scheduled callback: a method every host has. */
export const BACKBONE_CALLBACK = "backgroundTick";

export type EngineHost = Pick<
  Agent<Cloudflare.Env>,
  | "runAgentTool"
  | "cancelAgentTool"
  | "dynamicAgents"
  | "cancelSchedule"
  | "listSchedules"
  | "getScheduleById"
> & {
  schedule(when: Date, callback: string, payload: { step: number }): Promise<{ id: string }>;
  renderBackgroundNotice(notice: BackgroundNotice): string;
};

type SubmitResult = { submissionId: string; accepted: boolean };

/** A Think host: notices can start a turn, or be added to the history without one. */
export type ChatHost = {
  submitMessages(messages: UIMessage[], options: { idempotencyKey: string }): Promise<SubmitResult>;
  addMessages(messages: UIMessage[]): Promise<void>;
};

export function isChatHost(host: object): host is ChatHost {
  const chat = host as Partial<ChatHost>;
  return typeof chat.submitMessages === "function" && typeof chat.addMessages === "function";
}

/** Shared by the engine's parts. */
export type EngineContext = {
  host: EngineHost;
  ctx: DurableObjectState;
  options: ResolvedOptions;
  ledger: Ledger;
  /** Identifies this instance's notice claims; a restarted object gets a new one. */
  instanceId: string;
};

/**
 * The prototypes of the library's host classes. A method named as a task's
 * `onFinish` must be defined below them, by the application's own class: so a
 * task can never be made to call `destroy`, `backgroundTick` or any other
 * method of the SDK with a notice as its argument.
 */
export const HOST_BASE_PROTOTYPES = new Set<object>();

/**
 * Whether `name` is a method the application itself defined on `host`'s
 * class: a function on the host that no library or SDK class above it has.
 * (Checked by name, not by owner: the SDK copies methods onto subclasses.)
 */
export function isApplicationMethod(host: object, name: string): boolean {
  if (name === "constructor" || typeof (host as Record<string, unknown>)[name] !== "function") {
    return false;
  }
  for (const base of HOST_BASE_PROTOTYPES) {
    if (Object.prototype.isPrototypeOf.call(base, host) && name in base) return false;
  }
  return true;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function logError(what: string, error: unknown): void {
  console.error(`[agents-background] ${what}`, error);
}
