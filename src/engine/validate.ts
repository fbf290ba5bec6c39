// Checks of single fields callers pass (ids, keys, titles, inputs, budgets,
// deliveries…): each returns the value as stored, or throws naming the field.
// What a whole call passes is checked in arguments.ts, from these.

import { InvalidInputError, LimitExceededError, UnknownAgentError } from "./errors";
import type { HostPort } from "./host";
import { MAX_BUDGET_MS, type ResolvedOptions } from "./options";
import {
  DELIVERY_POLICIES,
  isDeliveryPolicy,
  isRerunPolicy,
  RERUN_POLICIES,
  type RerunPolicy
} from "./status";
import type { ChildClass, Delivery } from "./types";

const MAX_KEY_LENGTH = 256;
const MAX_TITLE_LENGTH = 200;

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
    // JSON would turn NaN and Infinity into null without a word: refuse them.
    json = JSON.stringify(input, (_key, value: unknown) => {
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new Error(`${value} is not a JSON number`);
      }
      return value;
    });
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

/**
 * A lone surrogate cannot be stored as UTF-8: SQLite would keep U+FFFD, so two
 * different keys could become one. Strings stored as text must be well formed.
 */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export function checkTitle(title: unknown, field = "title"): string | undefined {
  if (title === undefined) return undefined;
  if (
    typeof title !== "string" ||
    title.trim() === "" ||
    title.length > MAX_TITLE_LENGTH ||
    !isWellFormed(title)
  ) {
    throw new InvalidInputError(
      field,
      `must be a non-empty, well-formed string of at most ${MAX_TITLE_LENGTH} characters`
    );
  }
  return title.trim();
}

export function checkBudget(budgetMs: unknown, options: ResolvedOptions): number {
  const value = budgetMs ?? options.budgetMs;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > MAX_BUDGET_MS) {
    throw new InvalidInputError(
      "budgetMs",
      `must be a number of milliseconds from 1 to ${MAX_BUDGET_MS}`
    );
  }
  return Math.round(value);
}

export function checkSource(metadata: unknown, options: ResolvedOptions): string {
  if (metadata !== undefined && !isPlainObject(metadata)) {
    throw new InvalidInputError("metadata", "must be an object: { source }");
  }
  const source = metadata?.source ?? options.source;
  if (
    typeof source !== "string" ||
    source.length === 0 ||
    source.length > 64 ||
    !isWellFormed(source)
  ) {
    throw new InvalidInputError(
      "metadata.source",
      "must be a well-formed string of 1 to 64 characters"
    );
  }
  return source;
}

export function checkDelivery(delivery: unknown, host: HostPort): Delivery {
  if (delivery === undefined || isDeliveryPolicy(delivery)) {
    if (host.chat === null) {
      throw new InvalidInputError(
        "delivery",
        `${host.name} is not a chat agent, so notices need a method: { onFinish: "methodName" }`
      );
    }
    return { kind: delivery ?? "react" };
  }
  const onFinish = (delivery as { onFinish?: unknown } | null)?.onFinish;
  if (typeof delivery === "object" && delivery !== null && typeof onFinish === "string") {
    if (host.callback(onFinish) === null) {
      throw new InvalidInputError(
        "delivery.onFinish",
        `${JSON.stringify(onFinish.slice(0, 64))} is not a method ${host.name} defines itself`
      );
    }
    return { kind: "callback", method: onFinish };
  }
  throw new InvalidInputError(
    "delivery",
    `must be one of ${DELIVERY_POLICIES.map((p) => `"${p}"`).join(", ")} or { onFinish: "methodName" }`
  );
}

export function checkRerun(rerun: unknown, options: ResolvedOptions): RerunPolicy {
  if (rerun === undefined) return options.rerun;
  if (!isRerunPolicy(rerun)) {
    throw new InvalidInputError("rerun", `must be one of ${RERUN_POLICIES.join(", ")}`);
  }
  return rerun;
}

export function checkAfter(after: unknown, options: ResolvedOptions): string[] {
  if (after === undefined) return [];
  if (!Array.isArray(after)) throw new InvalidInputError("after", "must be an array of task ids");
  const unique = [...new Set(after as unknown[])];
  if (unique.length > options.maxDependencies) {
    throw new LimitExceededError("after", options.maxDependencies, `names ${unique.length} tasks`);
  }
  return unique.map((id) => checkId(id, "after"));
}

/** Ids are strings of at most this many characters (ours are 37 to 38). */
export const MAX_ID_LENGTH = 128;

/** Whether `id` could be a task or batch id: a well-formed string of 1 to 128 characters. */
export function isId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH && isWellFormed(id);
}

/** A task or batch id as callers pass it: refused when it cannot be one. */
export function checkId(id: unknown, field: string): string {
  if (!isId(id)) {
    throw new InvalidInputError(
      field,
      `must be an id: a well-formed string of 1 to ${MAX_ID_LENGTH} characters`
    );
  }
  return id;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
  if (
    typeof key !== "string" ||
    key.length === 0 ||
    key.length > MAX_KEY_LENGTH ||
    !isWellFormed(key)
  ) {
    throw new InvalidInputError(
      "idempotencyKey",
      `must be a well-formed string of 1 to ${MAX_KEY_LENGTH} characters`
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
