// What a notice says: the default text of each slot, of a batch and of a
// digest, and the cut of long output. A host overrides
// `renderBackgroundNotice` to say it differently. Also the words the board
// and the tools share: an ended task's outcome, where its notices stand.

import type { BoardTask } from "../wire/board";
import type { TaskNoticeSlot, TaskStatus } from "./status";
import type { BackgroundBatch, BackgroundTask } from "./types";

/** A notice about one task: which slot, which status it reports. */
export type TaskNotice = {
  slot: TaskNoticeSlot;
  status: TaskStatus;
  task: BackgroundTask;
  /** The limit on inlined output, from the engine's options. */
  maxChars: number;
};

/** The one notice of a batch delivered "all": every item's outcome. */
export type BatchNotice = {
  slot: "batch";
  status: "ended";
  batch: BackgroundBatch;
  /** The batch's `metadata.source`. */
  source: string;
  tasks: BackgroundTask[];
  maxChars: number;
};

export type BackgroundNotice = TaskNotice | BatchNotice;

/** Where a task's notices stand, in one word (the board and the tools show it). */
export function noticeState(task: BackgroundTask): BoardTask["notice"] {
  if (task.notices.length === 0) return "none";
  if (task.notices.some((n) => n.state === "failed")) return "failed";
  return task.notices.every((n) => n.state === "delivered") ? "delivered" : "pending";
}

/** What a host's `onFinish` method receives: a task notice and the slot's idempotency key. */
export type FinishNotice = TaskNotice & { idempotencyKey: string };

/** Cut `text` to `max` characters, saying how much was cut and where to read the rest. */
export function cutText(text: string, max: number, taskId: string): string {
  if (text.length <= max) return text;
  const rest = text.length - max;
  return `${text.slice(0, max)}\n\n[output cut: ${rest} more characters. Read on with check_background_task { task_id: "${taskId}", offset: ${max} }.]`;
}

/** An ended task's outcome in words (its output, error or reason); null while it has not ended. */
export function outcomeText(task: BackgroundTask): string | null {
  switch (task.status) {
    case "completed":
      return outputText(task);
    case "failed":
      return task.error ?? "failed";
    case "cancelled":
      return task.cancelReason ?? "cancelled";
    case "gave_up":
      return `given up (${task.giveUpReason ?? "unknown"})`;
    default:
      return null;
  }
}

export function outputText(task: BackgroundTask): string {
  if (task.summary) return task.summary;
  if (task.output !== null && task.output !== undefined) return JSON.stringify(task.output);
  return "(no output)";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function taskText(notice: TaskNotice): string {
  const { task, slot, status, maxChars } = notice;
  const head = `Background task ${task.id} (${task.agent}: ${task.title})`;
  switch (slot) {
    case "result":
      return status === "completed"
        ? `${head} completed.\n\n${cutText(outputText(task), maxChars, task.id)}`
        : `${head} failed: ${cutText(task.error ?? "unknown error", maxChars, task.id)}`;
    case "gave_up":
      return task.giveUpReason === "budget"
        ? `${head} was stopped: it ran past its budget of ${seconds(task.budgetMs)}.`
        : `${head} was given up as lost: the child had not reported the run after ${task.inspections} inspections. If it still finishes, its result will be delivered.`;
    case "cancelled":
      if (task.cancelReason) return `${head} was cancelled: ${task.cancelReason}.`;
      return task.startedAt === null
        ? `${head} was cancelled before it started.`
        : `${head} was cancelled; the child was stopped.`;
  }
}

function batchText(notice: BatchNotice): string {
  const { batch, tasks, maxChars } = notice;
  const per = Math.max(80, Math.floor(maxChars / Math.max(1, tasks.length)));
  const lines = tasks.map((task, i) => {
    const detail =
      task.status === "completed"
        ? cutText(outputText(task), per, task.id)
        : task.status === "failed"
          ? `failed: ${cutText(task.error ?? "unknown error", per, task.id)}`
          : task.status === "cancelled"
            ? `cancelled${task.cancelReason ? `: ${task.cancelReason}` : ""}`
            : task.status;
    return `${i + 1}. ${task.title} [${task.id}, ${task.status}]\n${detail}`;
  });
  const done = tasks.filter((t) => t.status === "completed").length;
  return `Background batch ${batch.id} (${batch.agent}, ${tasks.length} items) ended: ${done} of ${tasks.length} completed.\n\n${lines.join("\n\n")}`;
}

export function defaultNoticeText(notice: BackgroundNotice): string {
  return notice.slot === "batch" ? batchText(notice) : taskText(notice);
}

/** Several notices that landed during one turn, merged into one message. */
export function digestText(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] ?? "";
  return `${parts.length} background notices arrived while you were busy:\n\n${parts
    .map((part, i) => `--- ${i + 1} ---\n${part}`)
    .join("\n\n")}`;
}
