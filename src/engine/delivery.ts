// Delivery: each notice slot reaches the host exactly once, by its policy.
//
// The invariant: a slot is delivered only by the attempt that holds its claim
// (a compare-and-set with a lease), through a call that is idempotent on the
// slot's own key (`submitMessages` keys, `addMessages` message ids), and is
// then marked delivered. A crash anywhere in between is repaired by the next
// attempt, which repeats the same idempotent call.

import type { UIMessage } from "ai";
import { NOTICE_STAMP } from "../client/transcript";
import { type EngineContext, errorText, isChatHost, logError } from "./host";
import { digestKey, noticeKey, noticeMessageId } from "./keys";
import { type BackgroundBatch, type NoticeRow, toTask } from "./ledger";
import { type BackgroundNotice, digestText } from "./notice";
import type { NoticeSlot } from "./status";

/** What a notice message says about itself. */
type NoticeFacts = {
  source: string;
  taskId: string;
  status: string;
  /** For a batch or a digest: every task the message reports. */
  taskIds?: string[];
};

/**
 * Metadata carried on every notice message: the facts, readable at the top,
 * and the same facts under Think's server-only `turnMetadata` key, which Think
 * strips from every message a client sends. Only that copy proves a notice.
 */
export type NoticeMessageMetadata = NoticeFacts & {
  turnMetadata: { [NOTICE_STAMP]: NoticeFacts };
};

export class Delivery {
  readonly #c: EngineContext;
  readonly #afterDelivery: () => Promise<void>;
  /** Turns running now (Think hosts): next-turn and digest notices wait for them. */
  readonly #turns = new Set<string>();

  constructor(context: EngineContext, afterDelivery: () => Promise<void>) {
    this.#c = context;
    this.#afterDelivery = afterDelivery;
  }

  turnStarted(requestId: string): void {
    this.#turns.add(requestId);
  }

  /** A turn ended: notices held for it go out now. */
  async turnEnded(requestId: string): Promise<void> {
    this.#turns.delete(requestId);
    if (this.#turns.size === 0) await this.deliverPending();
  }

  get #turnRunning(): boolean {
    return this.#turns.size > 0;
  }

  /** Deliver every owed notice whose claim is free. */
  async deliverPending(): Promise<void> {
    for (const notice of this.#c.ledger.deliverableNotices(Date.now())) {
      await this.deliver(notice.task_id, notice.slot);
    }
  }

  /** Deliver one slot if it is owed and free. */
  async deliver(subjectId: string, slot: NoticeSlot): Promise<void> {
    const { ledger, options, instanceId } = this.#c;
    const row = ledger.notice(subjectId, slot);
    if (!row || row.delivered_at !== null) return;
    if (row.policy === "digest") {
      await this.#deliverDigest();
      return;
    }
    if (row.policy === "next-turn" && this.#turnRunning) return; // held until the turn ends
    if (!ledger.claimNotice(subjectId, slot, Date.now(), options.deliveryLeaseMs, instanceId))
      return;
    try {
      const submissionId = await this.#send(row);
      ledger.markDelivered(subjectId, slot, Date.now(), submissionId);
    } catch (error) {
      // Keep the claim until its lease lapses; the backbone tries again then.
      ledger.recordDeliveryError(subjectId, slot, errorText(error));
      logError(`delivering ${slot} of ${subjectId} failed`, error);
    }
    await this.#afterDelivery();
  }

  /** Send one claimed notice by its policy. Returns the submission id, if any. */
  async #send(row: NoticeRow): Promise<string | null> {
    const { host } = this.#c;
    const notice = this.#notice(row);
    if (!notice) return null;
    if (row.policy === "silent") return null;
    const key = noticeKey(row.task_id, row.slot);
    if (row.policy === "callback") {
      if (notice.slot === "batch" || notice.task.delivery.kind !== "callback") return null;
      const name = notice.task.delivery.method;
      const method = (host as unknown as Record<string, unknown>)[name];
      if (typeof method !== "function") throw new Error(`onFinish method "${name}" is missing`);
      await (method as (n: unknown) => unknown).call(host, { ...notice, idempotencyKey: key });
      return null;
    }
    const text = host.renderBackgroundNotice(notice);
    if (text === "" || !isChatHost(host)) return null;
    const message = this.#message(
      await noticeMessageId(this.#c.ledger.messageSecret(), row.task_id, row.slot),
      text,
      this.#metadata(notice)
    );
    if (row.policy === "next-turn") {
      // Added to the history without a turn; the next user message comes after it.
      await host.addMessages([message]);
      return null;
    }
    const submitted = await host.submitMessages([message], { idempotencyKey: key });
    return submitted.submissionId;
  }

  /**
   * Digest policy: every digest notice owed when no turn is running goes out
   * as one message, one turn. An unfinished digest (cut short by a restart) is
   * sent again with the same key and the same notices.
   */
  async #deliverDigest(): Promise<void> {
    const { host, ledger, options, instanceId } = this.#c;
    if (this.#turnRunning) return; // held until the turn ends
    const claimed = ledger.claimDigest(
      Date.now(),
      options.deliveryLeaseMs,
      instanceId,
      crypto.randomUUID()
    );
    if (!claimed) return;
    try {
      const notices = claimed.notices.flatMap((row) => {
        const notice = this.#notice(row);
        return notice ? [notice] : [];
      });
      const parts = notices.map((n) => host.renderBackgroundNotice(n)).filter((t) => t !== "");
      let submissionId: string | null = null;
      const first = notices[0];
      if (parts.length > 0 && first && isChatHost(host)) {
        const metadata = {
          ...this.#metadata(first),
          taskIds: notices.map((n) => (n.slot === "batch" ? n.batch.id : n.task.id))
        };
        const message = this.#message(`bg-digest-${claimed.digestId}`, digestText(parts), metadata);
        const submitted = await host.submitMessages([message], {
          idempotencyKey: digestKey(claimed.digestId)
        });
        submissionId = submitted.submissionId;
      }
      ledger.markDigestDelivered(claimed.digestId, Date.now(), submissionId);
    } catch (error) {
      logError(`delivering digest ${claimed.digestId} failed`, error);
    }
    await this.#afterDelivery();
  }

  #notice(row: NoticeRow): BackgroundNotice | null {
    const { ledger, options } = this.#c;
    if (row.slot === "batch") {
      const batchRow = ledger.batch(row.task_id);
      if (!batchRow) return null;
      const tasks = ledger.batchTasks(batchRow.id).map((t) => toTask(t, ledger.notices(t.id)));
      const batch: BackgroundBatch = {
        id: batchRow.id,
        agent: batchRow.agent,
        instructions: batchRow.instructions,
        maxConcurrency: batchRow.max_concurrency,
        delivery: batchRow.delivery,
        createdAt: batchRow.created_at,
        endedAt: batchRow.ended_at,
        taskIds: tasks.map((t) => t.id)
      };
      return { slot: "batch", status: "ended", batch, tasks, maxChars: options.noticeMaxChars };
    }
    const taskRow = ledger.task(row.task_id);
    if (!taskRow || row.status === "ended") return null;
    return {
      slot: row.slot,
      status: row.status,
      task: toTask(taskRow, ledger.notices(row.task_id)),
      maxChars: options.noticeMaxChars
    };
  }

  #metadata(notice: BackgroundNotice): NoticeFacts {
    if (notice.slot === "batch") {
      const source = this.#c.ledger.batch(notice.batch.id)?.source ?? this.#c.options.source;
      return { source, taskId: notice.batch.id, status: "ended", taskIds: notice.batch.taskIds };
    }
    return { source: notice.task.source, taskId: notice.task.id, status: notice.status };
  }

  #message(id: string, text: string, facts: NoticeFacts): UIMessage {
    const metadata: NoticeMessageMetadata = { ...facts, turnMetadata: { [NOTICE_STAMP]: facts } };
    return { id, role: "user", parts: [{ type: "text", text }], metadata };
  }
}
