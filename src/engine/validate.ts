// Validation of what callers pass to start() and startBatch(): every field is
// checked before anything is written, and a refusal names the field.

import type { ChildClass } from "./dispatch";
import { InvalidInputError, LimitExceededError, UnknownAgentError } from "./errors";
import { isApplicationMethod, isChatHost } from "./host";
import type { BatchDelivery, Delivery } from "./ledger";
import { MAX_BUDGET_MS, type ResolvedOptions } from "./options";
import { DELIVERY_POLICIES, type DeliveryPolicy, isDeliveryPolicy } from "./status";

export type DeliveryOption = DeliveryPolicy | { onFinish: string };

export type StartOptions<Input = unknown> = {
  input: Input;
  /** Shown in lists and notices. Default: taken from the input. */
  title?: string;
  /** The same key returns the same task and never starts a second child. */
  idempotencyKey?: string;
  /**
   * How notices reach the host. Chat hosts: "react" (default: a message and a
   * model turn), "next-turn" (added before the next user message, no turn),
   * "digest" (merged with others that land during a turn), "silent" (none).
   * Any host: `{ onFinish: "methodName" }`.
   */
  delivery?: DeliveryOption;
  /** Give the task up (and stop the child) after this many ms. */
  budgetMs?: number;
  /** Start only when these tasks (of this agent) have completed. */
  after?: string[];
  /** Start at this time (a Date or epoch ms) instead of now. */
  runAt?: Date | number;
  metadata?: { source?: string };
};

export type BatchOptions<Input = unknown> = {
  items: { input: Input; title?: string }[];
  /** What the batch is for; shown in its notice. */
  instructions: string;
  /** Children running at once; the rest wait their turn. */
  maxConcurrency: number;
  /** "each": one notice per item. "all": one notice when every item has ended. */
  delivery: BatchDelivery;
  /** The same key returns the same batch and starts nothing new. */
  idempotencyKey?: string;
  budgetMs?: number;
  metadata?: { source?: string };
};

export type CheckedStart = {
  inputJson: string;
  title: string;
  idempotencyKey: string | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  after: string[];
  runAt: number | null;
};

const MAX_KEY_LENGTH = 256;
const MAX_TITLE_LENGTH = 200;
const MAX_INSTRUCTIONS_LENGTH = 8000;

export function checkChild(Child: ChildClass, ctx: DurableObjectState): void {
  if (typeof Child !== "function" || typeof Child.name !== "string" || Child.name === "") {
    throw new UnknownAgentError("unknown_agent", "must be an agent class");
  }
  const proto = Child.prototype as Record<string, unknown> | undefined;
  if (
    !proto ||
    typeof proto.startAgentToolRun !== "function" ||
    typeof proto.inspectAgentToolRun !== "function" ||
    typeof proto.cancelAgentToolRun !== "function"
  ) {
    throw new UnknownAgentError(
      "not_chat_agent",
      `${Child.name} is not a chat agent (a Think or AIChatAgent subclass) and cannot run as a background task`
    );
  }
  const exportsMap = ctx.exports as Record<string, unknown> | undefined;
  if (!exportsMap?.[Child.name]) {
    throw new UnknownAgentError(
      "unknown_agent",
      `${Child.name} is not exported by this worker with a Durable Object binding`
    );
  }
}

export function checkInput(input: unknown, options: ResolvedOptions, field = "input"): string {
  if (input === undefined) throw new InvalidInputError(field, "is required");
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch (error) {
    throw new InvalidInputError(field, `must be JSON-serializable (${String(error)})`);
  }
  if (typeof json !== "string") throw new InvalidInputError(field, "must be JSON-serializable");
  const bytes = new TextEncoder().encode(json).byteLength;
  if (bytes > options.maxInputBytes) {
    throw new LimitExceededError(
      field,
      options.maxInputBytes,
      `is ${bytes} bytes of JSON, over the limit`
    );
  }
  return json;
}

export function checkTitle(title: unknown, field = "title"): string | undefined {
  if (title === undefined) return undefined;
  if (typeof title !== "string" || title.trim() === "" || title.length > MAX_TITLE_LENGTH) {
    throw new InvalidInputError(
      field,
      `must be a non-empty string of at most ${MAX_TITLE_LENGTH} characters`
    );
  }
  return title.trim();
}

export function checkBudget(budgetMs: unknown, options: ResolvedOptions): number {
  const value = budgetMs ?? options.budgetMs;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > MAX_BUDGET_MS) {
    throw new InvalidInputError(
      "budgetMs",
      `must be a number of milliseconds above 0 and at most ${MAX_BUDGET_MS}`
    );
  }
  return Math.round(value);
}

export function checkSource(metadata: unknown, options: ResolvedOptions): string {
  const source = (metadata as { source?: unknown } | undefined)?.source ?? options.source;
  if (typeof source !== "string" || source.length === 0 || source.length > 64) {
    throw new InvalidInputError("metadata.source", "must be a string of 1 to 64 characters");
  }
  return source;
}

export function checkDelivery(delivery: unknown, host: object): Delivery {
  if (delivery === undefined || isDeliveryPolicy(delivery)) {
    if (!isChatHost(host)) {
      throw new InvalidInputError(
        "delivery",
        `${host.constructor.name} is not a chat agent, so notices need a method: { onFinish: "methodName" }`
      );
    }
    return { kind: delivery ?? "react" };
  }
  const onFinish = (delivery as { onFinish?: unknown } | null)?.onFinish;
  if (typeof delivery === "object" && delivery !== null && typeof onFinish === "string") {
    if (!isApplicationMethod(host, onFinish)) {
      throw new InvalidInputError(
        "delivery.onFinish",
        `"${onFinish}" is not a method ${host.constructor.name} defines itself`
      );
    }
    return { kind: "callback", method: onFinish };
  }
  throw new InvalidInputError(
    "delivery",
    `must be one of ${DELIVERY_POLICIES.map((p) => `"${p}"`).join(", ")} or { onFinish: "methodName" }`
  );
}

export function checkAfter(after: unknown, options: ResolvedOptions): string[] {
  if (after === undefined) return [];
  if (!Array.isArray(after) || after.some((id) => typeof id !== "string" || id === "")) {
    throw new InvalidInputError("after", "must be an array of task ids");
  }
  const unique = [...new Set(after as string[])];
  if (unique.length > options.maxDependencies) {
    throw new LimitExceededError("after", options.maxDependencies, `names ${unique.length} tasks`);
  }
  return unique;
}

export function checkRunAt(runAt: unknown, options: ResolvedOptions, now: number): number | null {
  if (runAt === undefined) return null;
  const ms = runAt instanceof Date ? runAt.getTime() : runAt;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidInputError("runAt", "must be a valid Date or epoch milliseconds");
  }
  if (ms <= now) throw new InvalidInputError("runAt", "is in the past");
  if (ms > now + options.maxScheduleAheadMs) {
    throw new InvalidInputError(
      "runAt",
      `is more than ${Math.round(options.maxScheduleAheadMs / 86_400_000)} days ahead`
    );
  }
  return Math.round(ms);
}

export function checkKey(key: unknown): string | null {
  if (key === undefined) return null;
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidInputError(
      "idempotencyKey",
      `must be a string of 1 to ${MAX_KEY_LENGTH} characters`
    );
  }
  return key;
}

export function deriveTitle(input: unknown, agent: string): string {
  let text: string | undefined;
  if (typeof input === "string") text = input;
  else if (input && typeof input === "object") {
    const record = input as Record<string, unknown>;
    for (const key of ["title", "task", "query", "prompt", "topic"]) {
      if (typeof record[key] === "string") {
        text = record[key];
        break;
      }
    }
  }
  const title = (text ?? agent).replace(/\s+/g, " ").trim();
  return title.length > 80 ? `${title.slice(0, 79)}…` : title || agent;
}

export function checkStart(
  options: StartOptions,
  host: object,
  resolved: ResolvedOptions,
  agent: string,
  now: number
): CheckedStart {
  if (!options || typeof options !== "object") {
    throw new InvalidInputError("options", "must be an object with an input");
  }
  const inputJson = checkInput(options.input, resolved);
  return {
    inputJson,
    title: checkTitle(options.title) ?? deriveTitle(options.input, agent),
    idempotencyKey: checkKey(options.idempotencyKey),
    source: checkSource(options.metadata, resolved),
    delivery: checkDelivery(options.delivery, host),
    budgetMs: checkBudget(options.budgetMs, resolved),
    after: checkAfter(options.after, resolved),
    runAt: checkRunAt(options.runAt, resolved, now)
  };
}

export function checkBatch(
  options: BatchOptions,
  resolved: ResolvedOptions
): { instructions: string; maxConcurrency: number; delivery: BatchDelivery } {
  if (!options || typeof options !== "object")
    throw new InvalidInputError("options", "must be an object");
  const { items, instructions, maxConcurrency, delivery } = options;
  if (!Array.isArray(items) || items.length === 0) {
    throw new InvalidInputError("items", "must be a non-empty array");
  }
  if (items.length > resolved.maxBatchItems) {
    throw new LimitExceededError("items", resolved.maxBatchItems, `has ${items.length} items`);
  }
  if (typeof instructions !== "string" || instructions.length > MAX_INSTRUCTIONS_LENGTH) {
    throw new InvalidInputError(
      "instructions",
      `must be a string of at most ${MAX_INSTRUCTIONS_LENGTH} characters`
    );
  }
  if (
    typeof maxConcurrency !== "number" ||
    !Number.isInteger(maxConcurrency) ||
    maxConcurrency < 1 ||
    maxConcurrency > resolved.maxConcurrentTasks
  ) {
    throw new InvalidInputError(
      "maxConcurrency",
      `must be an integer from 1 to ${resolved.maxConcurrentTasks}`
    );
  }
  if (delivery !== "each" && delivery !== "all") {
    throw new InvalidInputError("delivery", `must be "each" or "all"`);
  }
  return { instructions, maxConcurrency, delivery };
}
