// Engine options: defaults, and validation once, when a host class first
// starts an engine. A refusal names the option and its bounds.

import { InvalidOptionError } from "./errors";
import { isRerunPolicy, RERUN_POLICIES, type RerunPolicy } from "./status";

export type BackgroundOptions = {
  /** Tasks running at once on one parent. Default 100. */
  maxConcurrentTasks?: number;
  /** Tasks waiting (scheduled, behind dependencies or a batch's cap) at once. Default 1000. */
  maxPendingTasks?: number;
  /** Items in one batch, and tasks in one `startMany` call. Default 50 and 500. */
  maxBatchItems?: number;
  maxStartMany?: number;
  /** Dependencies of one task. Default 20. */
  maxDependencies?: number;
  /** How far ahead a task may be scheduled, in ms. Default 30 days. */
  maxScheduleAheadMs?: number;
  /** Largest task input, in bytes of JSON. Default 64 KiB. */
  maxInputBytes?: number;
  /** Largest child output inlined into a notice, in characters; the rest is cut. Default 4000. */
  noticeMaxChars?: number;
  /** Largest child output kept in the ledger, in characters. Default 256 KiB. */
  maxStoredOutputChars?: number;
  /** Default budget of a task across all its attempts, in ms; past it the task is given up and the child stopped. Default 2 h. */
  budgetMs?: number;
  /** Child runs one task may have: the first, plus reruns after restarts cut runs short. Default 5. */
  maxAttempts?: number;
  /** Default rerun policy of a task whose child run a restart cut short. Default "always". */
  rerun?: RerunPolicy;
  /** Consecutive `null` inspections tolerated before an attempt may be given up as lost. Default 5. */
  nullTolerance?: number;
  /** Time since an attempt's dispatch before it may be given up as lost, in ms. Default 60 s. */
  lostGraceMs?: number;
  /**
   * How long a run its child still calls running may go without a sign of
   * life (a new progress report) once no fast path here follows it (after a
   * restart), in ms, before it is stopped and counted as cut short: run
   * again, as the task's rerun policy says. Default 5 min.
   */
  stalledRunMs?: number;
  /** Backbone cadence: first delay, ceiling and growth. Default 2 s rising ×2 to 20 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollFactor?: number;
  /** How long a notice claim is held before another attempt may take it, in ms. Default 30 s. */
  deliveryLeaseMs?: number;
  /** How long one delivery (a submission, an added message, a callback) may take, in ms. Default 10 s. */
  deliveryTimeoutMs?: number;
  /** Attempts to deliver one notice before it is marked failed. Default 6. */
  maxDeliveryAttempts?: number;
  /** Pause after a failed delivery, doubling after each further failure (at most 5 min), in ms. Default 1 s. */
  deliveryRetryMs?: number;
  /** Notices that go into one model turn when several are ready together. Default 20. */
  maxNoticesPerTurn?: number;
  /** `metadata.source` of notices when a task names none. Default "background-task". */
  source?: string;
  /**
   * How long an ended task is kept whole after it ends, in ms, before it is
   * pruned (its rows, child agents and run records removed; a summary kept).
   * Default 7 days; "forever" keeps every task.
   */
  retainEndedMs?: number | "forever";
  /** The most ended tasks kept whole; the oldest beyond it are pruned. Default 10,000; or "unlimited". */
  maxEndedTasks?: number | "unlimited";
  /** How long an idempotency key dedupes, in ms from its task's creation. Default 24 h; or "forever". */
  idempotencyWindowMs?: number | "forever";
  /** The most summaries of pruned tasks kept; the oldest beyond it are dropped. Default 10,000. */
  maxPrunedSummaries?: number;
};

/** Keyword options as numbers: "forever" and "unlimited" are Infinity. */
type Keyworded = "retainEndedMs" | "maxEndedTasks" | "idempotencyWindowMs";

export type ResolvedOptions = Omit<Required<BackgroundOptions>, Keyworded> & {
  [K in Keyworded]: number;
};

export const DEFAULT_OPTIONS: ResolvedOptions = {
  maxConcurrentTasks: 100,
  maxPendingTasks: 1000,
  maxBatchItems: 50,
  maxStartMany: 500,
  maxDependencies: 20,
  maxScheduleAheadMs: 30 * 24 * 60 * 60 * 1000,
  maxInputBytes: 64 * 1024,
  noticeMaxChars: 4000,
  maxStoredOutputChars: 256 * 1024,
  budgetMs: 2 * 60 * 60 * 1000,
  maxAttempts: 5,
  rerun: "always",
  nullTolerance: 5,
  lostGraceMs: 60_000,
  stalledRunMs: 5 * 60 * 1000,
  pollMinMs: 2000,
  pollMaxMs: 20_000,
  pollFactor: 2,
  deliveryLeaseMs: 30_000,
  deliveryTimeoutMs: 10_000,
  maxDeliveryAttempts: 6,
  deliveryRetryMs: 1000,
  maxNoticesPerTurn: 20,
  source: "background-task",
  retainEndedMs: 7 * 24 * 60 * 60 * 1000,
  maxEndedTasks: 10_000,
  idempotencyWindowMs: 24 * 60 * 60 * 1000,
  maxPrunedSummaries: 10_000
};

/** Budgets above this are refused: a forgotten task must end some day. */
export const MAX_BUDGET_MS = 7 * 24 * 60 * 60 * 1000;

/** The longest pause between two delivery attempts. */
export const MAX_DELIVERY_BACKOFF_MS = 5 * 60 * 1000;

type Bound = { min: number; max: number; integer: boolean };
type NumericOption = {
  [K in keyof ResolvedOptions]: ResolvedOptions[K] extends number ? K : never;
}[keyof ResolvedOptions];

const NUMERIC: Record<NumericOption, Bound> = {
  maxConcurrentTasks: { min: 1, max: 10_000, integer: true },
  maxPendingTasks: { min: 1, max: 100_000, integer: true },
  maxBatchItems: { min: 1, max: 1000, integer: true },
  maxStartMany: { min: 1, max: 10_000, integer: true },
  maxDependencies: { min: 1, max: 100, integer: true },
  maxScheduleAheadMs: { min: 1000, max: 365 * 24 * 60 * 60 * 1000, integer: false },
  maxInputBytes: { min: 1, max: 1024 * 1024, integer: true },
  noticeMaxChars: { min: 100, max: 100_000, integer: true },
  maxStoredOutputChars: { min: 100, max: 1024 * 1024, integer: true },
  budgetMs: { min: 1, max: MAX_BUDGET_MS, integer: false },
  maxAttempts: { min: 1, max: 20, integer: true },
  nullTolerance: { min: 1, max: 1000, integer: true },
  lostGraceMs: { min: 0, max: MAX_BUDGET_MS, integer: false },
  stalledRunMs: { min: 1000, max: MAX_BUDGET_MS, integer: false },
  pollMinMs: { min: 1000, max: 3_600_000, integer: false },
  pollMaxMs: { min: 1000, max: 3_600_000, integer: false },
  pollFactor: { min: 1, max: 10, integer: false },
  deliveryLeaseMs: { min: 1000, max: 3_600_000, integer: false },
  deliveryTimeoutMs: { min: 100, max: 600_000, integer: false },
  maxDeliveryAttempts: { min: 1, max: 100, integer: true },
  deliveryRetryMs: { min: 10, max: MAX_DELIVERY_BACKOFF_MS, integer: false },
  maxNoticesPerTurn: { min: 1, max: 200, integer: true },
  retainEndedMs: { min: 0, max: 365 * 24 * 60 * 60 * 1000, integer: false },
  maxEndedTasks: { min: 0, max: 1_000_000, integer: true },
  idempotencyWindowMs: { min: 1000, max: 365 * 24 * 60 * 60 * 1000, integer: false },
  maxPrunedSummaries: { min: 0, max: 1_000_000, integer: true }
};

/** The word each keyword option takes besides a number, meaning "no limit". */
const KEYWORDS: Partial<Record<string, string>> = {
  retainEndedMs: "forever",
  maxEndedTasks: "unlimited",
  idempotencyWindowMs: "forever"
};

function resolveString(name: string, value: unknown): string {
  if (name === "source") {
    if (typeof value !== "string" || value.length === 0 || value.length > 64) {
      throw new InvalidOptionError(name, "must be a string of 1 to 64 characters");
    }
    return value;
  }
  if (!isRerunPolicy(value)) {
    throw new InvalidOptionError(name, `must be one of ${RERUN_POLICIES.join(", ")}`);
  }
  return value;
}

export function resolveOptions(input: BackgroundOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidOptionError("backgroundOptions", "must be an object of options");
  }
  const values = resolved as Record<string, number | string>;
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (name === "source" || name === "rerun") {
      values[name] = resolveString(name, value);
      continue;
    }
    // Own keys only: "__proto__" or "constructor" must not find Object's.
    const bound = Object.hasOwn(NUMERIC, name)
      ? (NUMERIC as Record<string, Bound>)[name]
      : undefined;
    if (!bound) throw new InvalidOptionError(name, "is not a known option");
    const keyword = Object.hasOwn(KEYWORDS, name) ? KEYWORDS[name] : undefined;
    if (keyword !== undefined && value === keyword) {
      values[name] = Number.POSITIVE_INFINITY;
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InvalidOptionError(
        name,
        keyword === undefined
          ? "must be a finite number"
          : `must be a finite number or "${keyword}"`
      );
    }
    if (bound.integer && !Number.isInteger(value)) {
      throw new InvalidOptionError(name, "must be an integer");
    }
    if (value < bound.min || value > bound.max) {
      throw new InvalidOptionError(name, `must be between ${bound.min} and ${bound.max}`);
    }
    values[name] = value;
  }
  if (resolved.pollMaxMs < resolved.pollMinMs) {
    throw new InvalidOptionError("pollMaxMs", "must not be below pollMinMs");
  }
  if (resolved.deliveryTimeoutMs >= resolved.deliveryLeaseMs) {
    throw new InvalidOptionError(
      "deliveryTimeoutMs",
      "must be below deliveryLeaseMs, so a timed-out delivery never outlives its claim"
    );
  }
  return resolved;
}
