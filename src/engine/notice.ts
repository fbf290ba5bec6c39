// What a notice says: the default text of each slot, and the cut of long
// output. A host overrides `renderBackgroundNotice` to say it differently.

import type { BackgroundTask } from "./ledger";
import type { NoticeSlot, TaskStatus } from "./status";

/** One notice about to be delivered: which slot, which status it reports, for which task. */
export type BackgroundNotice = {
  slot: NoticeSlot;
  status: TaskStatus;
  task: BackgroundTask;
  /** The limit on inlined output, from the engine's options. */
  maxChars: number;
};

/** Cut `text` to `max` characters, saying how much was cut and where to read the rest. */
export function cutText(text: string, max: number, taskId: string): string {
  if (text.length <= max) return text;
  const rest = text.length - max;
  return `${text.slice(0, max)}\n\n[output cut: ${rest} more characters. Read the whole output with getTask("${taskId}") or check_background_task { task_id: "${taskId}" }.]`;
}

function outputText(task: BackgroundTask): string {
  if (task.summary) return task.summary;
  if (task.output !== null && task.output !== undefined) return JSON.stringify(task.output);
  return "(no output)";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function defaultNoticeText(notice: BackgroundNotice): string {
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
      return `${head} was cancelled; the child was stopped.`;
  }
}
