// Checks of whole calls (start, startBatch, waitFor, prune): every field is
// checked before anything is written, and a refusal names the field.

import { InvalidInputError, LimitExceededError } from "./errors";
import type { HostPort } from "./host";
import type { ResolvedOptions } from "./options";
import type { RerunPolicy } from "./status";
import type { BatchDelivery, BatchOptions, Delivery, StartOptions } from "./types";
import {
  checkAfter,
  checkBudget,
  checkDelivery,
  checkId,
  checkInput,
  checkKey,
  checkRerun,
  checkRunAt,
  checkSource,
  checkTitle,
  deriveTitle,
  isPlainObject,
  isWellFormed
} from "./validate";

const MAX_INSTRUCTIONS_LENGTH = 8000;

export type CheckedStart = {
  inputJson: string;
  title: string;
  idempotencyKey: string | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  rerun: RerunPolicy;
  after: string[];
  runAt: number | null;
};

/** The longest `waitFor` may block, and how many tasks it may name. */
export const MAX_WAIT_MS = 600_000;
export const MAX_WAIT_TASKS = 1000;

export function checkWait(
  taskIds: unknown,
  options: unknown
): { taskIds: string[]; mode: "all" | "any"; timeoutMs: number } {
  if (!Array.isArray(taskIds) || taskIds.length === 0) {
    throw new InvalidInputError("taskIds", "must be a non-empty array of task ids");
  }
  if (taskIds.length > MAX_WAIT_TASKS) {
    throw new LimitExceededError("taskIds", MAX_WAIT_TASKS, `names ${taskIds.length} tasks`);
  }
  const ids = taskIds.map((id: unknown) => checkId(id, "taskIds"));
  if (!isPlainObject(options)) {
    throw new InvalidInputError("options", "must be an object: { mode, timeoutMs }");
  }
  const { mode, timeoutMs } = options;
  if (mode !== "all" && mode !== "any") {
    throw new InvalidInputError("mode", 'must be "all" or "any"');
  }
  if (
    typeof timeoutMs !== "number" ||
    !Number.isFinite(timeoutMs) ||
    timeoutMs < 0 ||
    timeoutMs > MAX_WAIT_MS
  ) {
    throw new InvalidInputError(
      "timeoutMs",
      `must be a number of milliseconds from 0 to ${MAX_WAIT_MS}`
    );
  }
  return { taskIds: ids, mode, timeoutMs };
}

export function checkStart(
  options: StartOptions,
  host: HostPort,
  resolved: ResolvedOptions,
  agent: string,
  now: number
): CheckedStart {
  if (!isPlainObject(options)) {
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
    rerun: checkRerun(options.rerun, resolved),
    after: checkAfter(options.after, resolved),
    runAt: checkRunAt(options.runAt, resolved, now)
  };
}

export function checkBatch(
  options: BatchOptions,
  resolved: ResolvedOptions
): { instructions: string; maxConcurrency: number; delivery: BatchDelivery } {
  if (!isPlainObject(options)) throw new InvalidInputError("options", "must be an object");
  const { items, instructions, maxConcurrency, delivery } = options;
  if (!Array.isArray(items) || items.length === 0) {
    throw new InvalidInputError("items", "must be a non-empty array");
  }
  if (items.length > resolved.maxBatchItems) {
    throw new LimitExceededError("items", resolved.maxBatchItems, `has ${items.length} items`);
  }
  if (
    typeof instructions !== "string" ||
    instructions.length > MAX_INSTRUCTIONS_LENGTH ||
    !isWellFormed(instructions)
  ) {
    throw new InvalidInputError(
      "instructions",
      `must be a well-formed string of at most ${MAX_INSTRUCTIONS_LENGTH} characters`
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

/** `prune({ olderThan })`: a Date or epoch ms, not in the future. */
export function checkOlderThan(options: unknown): number {
  if (!isPlainObject(options)) {
    throw new InvalidInputError("options", "must be an object: { olderThan }");
  }
  const { olderThan } = options;
  const ms = olderThan instanceof Date ? olderThan.getTime() : olderThan;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidInputError("olderThan", "must be a valid Date or epoch milliseconds");
  }
  if (ms > Date.now()) throw new InvalidInputError("olderThan", "is in the future");
  return ms;
}
