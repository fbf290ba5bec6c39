// Storage rows of the engine's tables, and the one mapper from rows to the
// domain types callers see. SQL lives in the ledger; nothing here runs SQL.

import type { AgentToolProgressSnapshot } from "agents";
import {
  type DeliveryPolicy,
  type DeliveryState,
  type GiveUpReason,
  isDeliveryPolicy,
  type NoticeSlot,
  type NoticeStatus,
  type RerunPolicy,
  type StopReason,
  type TaskStatus
} from "./status";
import type { BackgroundBatch, BackgroundTask, BatchDelivery, Delivery } from "./types";

export type TaskRow = {
  id: string;
  run_id: string;
  agent: string;
  title: string;
  input_json: string;
  idempotency_key: string | null;
  source: string;
  delivery: string;
  status: TaskStatus;
  give_up_reason: GiveUpReason | null;
  stop_reason: StopReason | null;
  cancel_reason: string | null;
  budget_ms: number;
  rerun: RerunPolicy;
  attempts: number;
  /** When the current attempt was handed to its child. */
  attempt_started_at: number | null;
  /** 1 once the current attempt's child has reported the run (an inspection that was not null). */
  confirmed: number;
  created_at: number;
  run_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  after_json: string | null;
  batch_id: string | null;
  null_streak: number;
  /**
   * Since when the current attempt, followed by no fast path here, has shown
   * no sign of life while its child calls it running; null otherwise.
   */
  quiet_since: number | null;
  inspections: number;
  last_inspected_at: number | null;
  progress_json: string | null;
  summary: string | null;
  output_json: string | null;
  error: string | null;
  /** Set when a prune began; the task then reads as pruned until its rows are gone. */
  pruning_at: number | null;
  /** 1 once its failed notices were put back in line before a prune. */
  prune_requeued: number;
};

/** What a pruned task leaves behind. */
export type PrunedRow = {
  id: string;
  agent: string;
  title: string;
  status: TaskStatus;
  give_up_reason: GiveUpReason | null;
  /** The start of its result or error, as the board shows it. */
  outcome: string | null;
  idempotency_key: string | null;
  batch_id: string | null;
  attempts: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  pruned_at: number;
};

export type BatchRow = {
  id: string;
  agent: string;
  instructions: string;
  max_concurrency: number;
  delivery: BatchDelivery;
  idempotency_key: string | null;
  source: string;
  created_at: number;
  ended_at: number | null;
};

export type NoticeRow = {
  task_id: string;
  slot: NoticeSlot;
  status: NoticeStatus;
  policy: DeliveryPolicy | "callback";
  created_at: number;
  /** Not to be taken before this time: a live claim's lease, or a failed attempt's backoff. */
  claimed_until: number | null;
  /** The instance holding a live claim; null while backing off. */
  claimed_by: string | null;
  attempts: number;
  /** The delivery this notice went out in, fixed once chosen, so a retry resends the same. */
  group_id: string | null;
  delivered_at: number | null;
  failed_at: number | null;
  submission_id: string | null;
  last_error: string | null;
};

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function encodeDelivery(delivery: Delivery): string {
  return delivery.kind === "callback" ? `callback:${delivery.method}` : delivery.kind;
}

export function decodeDelivery(text: string): Delivery {
  if (text.startsWith("callback:")) return { kind: "callback", method: text.slice(9) };
  return { kind: isDeliveryPolicy(text) ? text : "react" };
}

export function afterOf(row: Pick<TaskRow, "after_json">): string[] {
  const after = parseJson(row.after_json);
  return Array.isArray(after) ? after.filter((id): id is string => typeof id === "string") : [];
}

export function deliveryState(row: Pick<NoticeRow, "delivered_at" | "failed_at">): DeliveryState {
  if (row.delivered_at !== null) return "delivered";
  return row.failed_at !== null ? "failed" : "pending";
}

export function toTask(row: TaskRow, notices: readonly NoticeRow[]): BackgroundTask {
  return {
    id: row.id,
    runId: row.run_id,
    agent: row.agent,
    title: row.title,
    input: parseJson(row.input_json),
    status: row.status,
    giveUpReason: row.give_up_reason,
    cancelReason: row.cancel_reason,
    source: row.source,
    delivery: decodeDelivery(row.delivery),
    budgetMs: row.budget_ms,
    attempts: row.attempts,
    rerun: row.rerun,
    createdAt: row.created_at,
    runAt: row.run_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    after: afterOf(row),
    batchId: row.batch_id,
    progress: parseJson(row.progress_json) as AgentToolProgressSnapshot | null,
    summary: row.summary,
    output: parseJson(row.output_json),
    error: row.error,
    inspections: row.inspections,
    prunedAt: null,
    notices: notices.map((n) => ({
      slot: n.slot,
      status: n.status,
      policy: n.policy,
      state: deliveryState(n),
      deliveredAt: n.delivered_at,
      attempts: n.attempts,
      lastError: n.last_error
    }))
  };
}

export function toBatch(row: BatchRow, taskIds: string[]): BackgroundBatch {
  return {
    id: row.id,
    agent: row.agent,
    instructions: row.instructions,
    maxConcurrency: row.max_concurrency,
    delivery: row.delivery,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    taskIds
  };
}

/**
 * A pruned task as callers see it: the same shape, with what was kept (id,
 * title, agent, status, times, attempts, an outcome excerpt) and the rest empty.
 */
export function toPrunedTask(row: PrunedRow): BackgroundTask {
  const failed = row.status !== "completed";
  return {
    id: row.id,
    runId: "",
    agent: row.agent,
    title: row.title,
    input: null,
    status: row.status,
    giveUpReason: row.give_up_reason,
    cancelReason: row.status === "cancelled" ? row.outcome : null,
    source: "",
    delivery: { kind: "silent" },
    budgetMs: 0,
    attempts: row.attempts,
    rerun: "always",
    createdAt: row.created_at,
    runAt: null,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    after: [],
    batchId: row.batch_id,
    progress: null,
    summary: failed ? null : row.outcome,
    output: null,
    error: row.status === "failed" ? row.outcome : null,
    inspections: 0,
    prunedAt: row.pruned_at,
    notices: []
  };
}
