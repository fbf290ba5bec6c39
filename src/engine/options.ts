// Engine options: defaults, and validation once, when the class is defined.

import { InvalidOptionError } from "./errors";

export type BackgroundOptions = {
  /** Tasks running at once on one parent. Default 100. */
  maxConcurrentTasks?: number;
  /** Tasks waiting (scheduled, behind dependencies or a batch's cap) at once. Default 1000. */
  maxPendingTasks?: number;
  /** Items in one batch. Default 50. */
  maxBatchItems?: number;
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
  /** Default budget of a task, in ms; past it the task is given up and the child stopped. Default 2 h. */
  budgetMs?: number;
  /** Consecutive `null` inspections tolerated before a task may be given up as lost. Default 5. */
  nullTolerance?: number;
  /** Time since dispatch before a task may be given up as lost, in ms. Default 60 s. */
  lostGraceMs?: number;
  /** Backbone cadence: first delay, ceiling and growth. Default 2 s rising ×2 to 20 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollFactor?: number;
  /** How long a notice claim is held before another attempt may take it, in ms. Default 30 s. */
  deliveryLeaseMs?: number;
  /** `metadata.source` of notices when a task names none. Default "background-task". */
  source?: string;
};

export type ResolvedOptions = Required<BackgroundOptions>;

export const DEFAULT_OPTIONS: ResolvedOptions = {
  maxConcurrentTasks: 100,
  maxPendingTasks: 1000,
  maxBatchItems: 50,
  maxDependencies: 20,
  maxScheduleAheadMs: 30 * 24 * 60 * 60 * 1000,
  maxInputBytes: 64 * 1024,
  noticeMaxChars: 4000,
  maxStoredOutputChars: 256 * 1024,
  budgetMs: 2 * 60 * 60 * 1000,
  nullTolerance: 5,
  lostGraceMs: 60_000,
  pollMinMs: 2000,
  pollMaxMs: 20_000,
  pollFactor: 2,
  deliveryLeaseMs: 30_000,
  source: "background-task"
};

/** Budgets above this are refused: a forgotten task must end some day. */
export const MAX_BUDGET_MS = 7 * 24 * 60 * 60 * 1000;

type Bound = { min: number; max: number; integer: boolean };

const NUMERIC: Record<Exclude<keyof ResolvedOptions, "source">, Bound> = {
  maxConcurrentTasks: { min: 1, max: 10_000, integer: true },
  maxPendingTasks: { min: 1, max: 100_000, integer: true },
  maxBatchItems: { min: 1, max: 1000, integer: true },
  maxDependencies: { min: 1, max: 100, integer: true },
  maxScheduleAheadMs: { min: 1000, max: 365 * 24 * 60 * 60 * 1000, integer: false },
  maxInputBytes: { min: 1, max: 1024 * 1024, integer: true },
  noticeMaxChars: { min: 100, max: 100_000, integer: true },
  maxStoredOutputChars: { min: 100, max: 1024 * 1024, integer: true },
  budgetMs: { min: 1, max: MAX_BUDGET_MS, integer: false },
  nullTolerance: { min: 1, max: 1000, integer: true },
  lostGraceMs: { min: 0, max: MAX_BUDGET_MS, integer: false },
  pollMinMs: { min: 1000, max: 3_600_000, integer: false },
  pollMaxMs: { min: 1000, max: 3_600_000, integer: false },
  pollFactor: { min: 1, max: 10, integer: false },
  deliveryLeaseMs: { min: 1000, max: 3_600_000, integer: false }
};

export function resolveOptions(input: BackgroundOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidOptionError("backgroundOptions", "must be an object of options");
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (name === "source") {
      if (typeof value !== "string" || value.length === 0 || value.length > 64) {
        throw new InvalidOptionError(name, "must be a string of 1 to 64 characters");
      }
      resolved.source = value;
      continue;
    }
    // Own keys only: "__proto__" or "constructor" must not find Object's.
    const bound = Object.hasOwn(NUMERIC, name)
      ? (NUMERIC as Record<string, Bound>)[name]
      : undefined;
    if (!bound) throw new InvalidOptionError(name, "is not a known option");
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InvalidOptionError(name, "must be a finite number");
    }
    if (bound.integer && !Number.isInteger(value)) {
      throw new InvalidOptionError(name, "must be an integer");
    }
    if (value < bound.min || value > bound.max) {
      throw new InvalidOptionError(name, `must be between ${bound.min} and ${bound.max}`);
    }
    (resolved as Record<string, number | string>)[name] = value;
  }
  if (resolved.pollMaxMs < resolved.pollMinMs) {
    throw new InvalidOptionError("pollMaxMs", "must not be below pollMinMs");
  }
  return resolved;
}
