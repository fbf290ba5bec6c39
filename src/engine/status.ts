// Task statuses: the one union the ledger, the API and the SQL CHECK share.

/** Every status a background task can have. Mirrored by `CHECK (status IN (...))` in the schema. */
export const TASK_STATUSES = ["running", "completed", "failed", "cancelled", "gave_up"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A child is (or may be) working: the backbone watches these. */
export const OUTSTANDING_STATUSES = ["running"] as const satisfies readonly TaskStatus[];

/** Why the engine stopped watching a task before it reported an outcome. */
export const GIVE_UP_REASONS = ["lost", "budget"] as const;
export type GiveUpReason = (typeof GIVE_UP_REASONS)[number];

/** The three independent notice slots of a task: at most one notice each. */
export const NOTICE_SLOTS = ["result", "gave_up", "cancelled"] as const;
export type NoticeSlot = (typeof NOTICE_SLOTS)[number];

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === "string" && (TASK_STATUSES as readonly string[]).includes(value);
}

export function isOutstanding(status: TaskStatus): boolean {
  return (OUTSTANDING_STATUSES as readonly string[]).includes(status);
}

/** SQL list literal for a status set, built from the unions above (never from input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(", ");
}
