// The host as a port: the few capabilities the engine asks of the agent it
// lives in. One host shell builds it for every host class, so the engine
// never knows which class it serves.

import type { Agent } from "agents";
import type { UIMessage } from "ai";
import type { EventSource } from "./events";
import type { Ledger } from "./ledger";
import type { BackgroundNotice, FinishNotice } from "./notice";
import type { ResolvedOptions } from "./options";

/** The name of the backbone's scheduled callback: a method every host has. */
export const BACKBONE_CALLBACK = "backgroundTick";

/** What the engine calls on the agent: the SDK's agent-tool and schedule API. */
export type AgentCapabilities = Pick<
  Agent<Cloudflare.Env>,
  | "runAgentTool"
  | "cancelAgentTool"
  | "dynamicAgents"
  | "cancelSchedule"
  | "listSchedules"
  | "getScheduleById"
> & {
  schedule(
    when: Date,
    callback: string,
    payload: { step: number },
    options: { idempotent: boolean }
  ): Promise<{ id: string }>;
};

/** A chat host's way in: notices that start a turn, and notices added without one. */
export type ChatDelivery = {
  submit(
    messages: UIMessage[],
    idempotencyKey: string
  ): Promise<{ submissionId: string; accepted: boolean }>;
  add(messages: UIMessage[]): Promise<void>;
  /** Drop a finished submission's record (its key dedupes no more). */
  forget(submissionId: string): Promise<void>;
};

export type HostPort = {
  agent: AgentCapabilities;
  /** Null on a host without a chat: its tasks name an `onFinish` method. */
  chat: ChatDelivery | null;
  /** The host's class name, for logs, errors and events. */
  name: string;
  /** The host's instance name (its Durable Object name), for events. */
  instanceName(): string;
  render(notice: BackgroundNotice): string;
  /** The application's own method of that name, or null (never the SDK's or the library's). */
  callback(name: string): ((notice: FinishNotice) => unknown) | null;
  /** Remove the SDK's own records of these child runs (its agent-tool run rows). */
  forgetRuns(runIds: readonly string[]): void;
  /**
   * Of these runs, those the SDK's own registry shows running: it records that
   * once the child has taken the run, so no call into the child is needed to
   * learn it.
   */
  runsTaken(runIds: readonly string[]): string[];
};

/** What the engine's parts share. */
export type EngineContext = {
  host: HostPort;
  ctx: DurableObjectState;
  options: ResolvedOptions;
  ledger: Ledger;
  /** Identifies this instance's notice claims; a restarted object gets a new one. */
  instanceId: string;
  /** A task changed: wake waiters, tell listeners. */
  changed(taskId: string): void;
  /** Who emits the engine's events. */
  source: EventSource;
};

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function logError(what: string, error: unknown): void {
  console.error(`[agents-background] ${what}`, error);
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
