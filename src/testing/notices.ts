// Awaiting a task's notice in a test: poll the host object from inside (no
// RPC method of the app's own is needed) until the engine has delivered a
// notice for the task and, for a notice that is a chat message, that message
// is in the transcript; then hand back the task and the messages that carry
// it, so a test can assert there is exactly one.

import type { UIMessage } from "ai";
import type { NoticeSlot } from "../engine/status";
import type { BackgroundTask, NoticeState } from "../engine/types";
import { NOTICE_STAMP, noticeMetadata } from "../wire/notice";

type AnyStub = DurableObjectStub<Rpc.DurableObjectBranded | undefined>;

/** What the helpers read inside a host: its tasks, and its chat when it has one. */
type HostView = DurableObject & {
  background: { get(taskId: string): BackgroundTask | null };
  messages?: readonly UIMessage[];
};

export type WaitForNoticeOptions = {
  /** Wait for this slot (default: any slot). */
  slot?: NoticeSlot;
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Poll this often (default 50 ms). */
  intervalMs?: number;
};

/** A delivered notice: the task as it is now, the slot, and its chat messages. */
export type DeliveredNotice = {
  task: BackgroundTask;
  notice: NoticeState;
  /** The messages in the host's chat that report this task; empty for a callback host. */
  messages: UIMessage[];
};

/** The task ids a notice message reports: one, or every task of a batch or digest. */
function reportedTaskIds(message: UIMessage, source: string): string[] {
  const meta = noticeMetadata(message, [source]);
  if (!meta) return [];
  const metadata = message.metadata as { turnMetadata?: Record<string, unknown> };
  const stamp = metadata.turnMetadata?.[NOTICE_STAMP] as { taskIds?: unknown } | undefined;
  const more = Array.isArray(stamp?.taskIds)
    ? stamp.taskIds.filter((id) => typeof id === "string")
    : [];
  return [meta.taskId, ...more];
}

async function look(
  stub: AnyStub,
  taskId: string
): Promise<{ task: BackgroundTask | null; messages: UIMessage[] }> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(stub as unknown as DurableObjectStub, (host: HostView) => {
    const task = host.background.get(taskId);
    if (!task) return { task: null, messages: [] };
    const messages = (host.messages ?? []).filter((m) =>
      reportedTaskIds(m, task.source).includes(taskId)
    );
    // A copy: the test must not hold the host's live objects.
    return structuredClone({ task, messages });
  });
}

/** The chat messages that report `taskId` right now (none for a callback host). */
export async function noticeMessages(stub: AnyStub, taskId: string): Promise<UIMessage[]> {
  return (await look(stub, taskId)).messages;
}

/**
 * Wait until the engine has delivered a notice for `taskId` (any slot, or
 * `options.slot`). Throws when the task is unknown or the time runs out.
 */
export async function waitForNotice(
  stub: AnyStub,
  taskId: string,
  options: WaitForNoticeOptions = {}
): Promise<DeliveredNotice> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 50;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { task, messages } = await look(stub, taskId);
    if (!task) throw new Error(`waitForNotice: ${taskId} is not a task of this object`);
    const notice = task.notices.find(
      (n) => n.deliveredAt !== null && (options.slot === undefined || n.slot === options.slot)
    );
    // A chat accepts a submission before its messages reach the transcript:
    // a notice that carries a message counts once the message is there.
    const carriesMessage = notice && notice.policy !== "callback" && notice.policy !== "silent";
    if (notice && (!carriesMessage || messages.length > 0)) return { task, notice, messages };
    if (Date.now() >= end) {
      throw new Error(
        `waitForNotice: no ${options.slot ?? ""} notice for ${taskId} within ${timeoutMs} ms (status ${task.status})`
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
