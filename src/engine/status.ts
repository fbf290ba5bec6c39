// Task statuses and notice vocabulary: the unions the ledger, the API and the
// SQL CHECK constraints share.

/** Every status a background task can have. Mirrored by `CHECK (status IN (...))`. */
export const TASK_STATUSES = [
  "scheduled",
  "waiting",
  "running",
  "completed",
  "failed",
  "cancelled",
  "gave_up"
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Not started yet: due at a time (`scheduled`) or behind dependencies or a batch's cap (`waiting`). */
export const PENDING_STATUSES = ["scheduled", "waiting"] as const satisfies readonly TaskStatus[];

/** The task has an outcome. `gave_up` is soft: a late real result can still replace it. */
export const ENDED_STATUSES = [
  "completed",
  "failed",
  "cancelled",
  "gave_up"
] as const satisfies readonly TaskStatus[];

/** Why the engine stopped watching a task before it reported an outcome. */
export const GIVE_UP_REASONS = ["lost", "budget"] as const;
export type GiveUpReason = (typeof GIVE_UP_REASONS)[number];

/** Why the engine is stopping a child itself, so its abort is never reported as a result. */
export const STOP_REASONS = ["budget", "cancel"] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The notice slots: three per task, one per batch. At most one notice each. */
export const NOTICE_SLOTS = ["result", "gave_up", "cancelled", "batch"] as const;
export type NoticeSlot = (typeof NOTICE_SLOTS)[number];
export type TaskNoticeSlot = Exclude<NoticeSlot, "batch">;

/** What a notice reports: a task status, or the end of a batch. */
export const NOTICE_STATUSES = [...TASK_STATUSES, "ended"] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

/**
 * Where a notice's delivery stands. `failed` is terminal until an app retries
 * it by hand: every attempt, each with a timeout, failed.
 */
export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** How notices reach a chat host. */
export const DELIVERY_POLICIES = ["react", "next-turn", "digest", "silent"] as const;
export type DeliveryPolicy = (typeof DELIVERY_POLICIES)[number];

/**
 * When a child run cut short by a restart is run again under a new attempt:
 * `always`; `if-untouched` (only when the child's model never ran, so no tool
 * of the child can have acted); `never` (the task fails instead).
 */
export const RERUN_POLICIES = ["always", "if-untouched", "never"] as const;
export type RerunPolicy = (typeof RERUN_POLICIES)[number];

/**
 * A submission to a chat without durable submissions of its own: `queued`
 * (stored, its turn not begun), `started` (its turn began: the chat's own
 * recovery carries it from there), `done`.
 */
export const CHAT_SUBMISSION_STATES = ["queued", "started", "done"] as const;
export type ChatSubmissionState = (typeof CHAT_SUBMISSION_STATES)[number];

function member<T extends string>(values: readonly T[]) {
  return (value: unknown): value is T =>
    typeof value === "string" && (values as readonly string[]).includes(value);
}

export const isTaskStatus = member(TASK_STATUSES);
export const isDeliveryPolicy = member(DELIVERY_POLICIES);
export const isRerunPolicy = member(RERUN_POLICIES);

export function isEnded(status: TaskStatus): boolean {
  return (ENDED_STATUSES as readonly string[]).includes(status);
}

/** SQL list literal for a status set, built from the unions above (never from input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(", ");
}
