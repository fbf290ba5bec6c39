// Identifiers: task and run ids, notice keys and message ids.

import type { NoticeSlot } from "./status";

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function randomId(prefix: string): string {
  return `${prefix}${hex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** A 256-bit secret, as hex. */
export function newSecret(): string {
  return hex(crypto.getRandomValues(new Uint8Array(32)));
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

/**
 * The id of the UIMessage that carries a slot's notice: stable for the slot
 * (every retry sends the same id), and an HMAC under the instance's secret, so
 * it cannot be derived from the task id a user can see.
 */
export async function noticeMessageId(
  secret: string,
  taskId: string,
  slot: NoticeSlot
): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"]
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${taskId}:${slot}`));
  return `bg-${hex(new Uint8Array(mac).slice(0, 16))}`;
}
