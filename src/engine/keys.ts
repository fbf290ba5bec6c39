// Identifiers: task, run and batch ids, notice keys and message ids.

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

/** A child's run id (also the child facet's name), minted here, not by the SDK: one per attempt. */
export function newRunId(): string {
  return randomId("run_");
}

export function newBatchId(): string {
  return randomId("batch_");
}

/** A delivery group: the notices that go out together in one submission. */
export function newGroupId(): string {
  return randomId("grp_");
}

/** The idempotency key of one notice slot sent alone: one key per outcome. */
export function noticeKey(taskId: string, slot: NoticeSlot): string {
  return `bg:${taskId}:${slot}`;
}

/** The idempotency key of several notices sent together in one submission. */
export function groupKey(groupId: string): string {
  return `bg:group:${groupId}`;
}

const signers = new Map<string, Promise<CryptoKey>>();

function signer(secret: string): Promise<CryptoKey> {
  let key = signers.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"]
    );
    signers.set(secret, key);
  }
  return key;
}

/**
 * The id of the UIMessage that carries a slot's notice: stable for the slot
 * (every retry sends the same id), and an HMAC under the instance's secret, so
 * it cannot be derived from the task id a user can see.
 */
export function noticeMessageId(secret: string, taskId: string, slot: NoticeSlot): Promise<string> {
  const key = `${secret}:${taskId}:${slot}`;
  let id = messageIds.get(key);
  if (!id) {
    id = signedId(secret, `${taskId}:${slot}`);
    messageIds.set(key, id);
    id.catch(() => messageIds.delete(key));
    const oldest = messageIds.keys().next().value;
    if (messageIds.size > MAX_MESSAGE_IDS && oldest !== undefined) messageIds.delete(oldest);
  }
  return id;
}

/**
 * Ids signed ahead (a task's result notice, when it starts) or already used:
 * the signature is an asynchronous call, kept off a notice's way out.
 */
const messageIds = new Map<string, Promise<string>>();
const MAX_MESSAGE_IDS = 5000;

async function signedId(secret: string, text: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await signer(secret),
    new TextEncoder().encode(text)
  );
  return `bg-${hex(new Uint8Array(mac).slice(0, 16))}`;
}
