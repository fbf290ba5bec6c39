// Identifiers: task and run ids, notice keys and message ids.

import type { NoticeSlot } from "./status";

function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${prefix}${hex}`;
}

/** A task id: 128 random bits, so ids cannot be guessed. */
export function newTaskId(): string {
  return randomId("task_");
}

/** The child's run id (also the child facet's name), minted here, not by the SDK. */
export function newRunId(): string {
  return randomId("run_");
}

/** The `submitMessages` idempotency key of one notice slot: one key per outcome. */
export function noticeKey(taskId: string, slot: NoticeSlot): string {
  return `bg:${taskId}:${slot}`;
}

/** A batch id. */
export function newBatchId(): string {
  return randomId("batch_");
}

/** The `submitMessages` key of a digest: notices merged into one message. */
export function digestKey(digestId: string): string {
  return `bg:digest:${digestId}`;
}

/** The id of the UIMessage that carries a slot's notice. */
export function noticeMessageId(taskId: string, slot: NoticeSlot): string {
  return `bg-${taskId}-${slot}`;
}
