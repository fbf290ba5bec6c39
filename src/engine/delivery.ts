// Delivery: every notice slot reaches the host exactly once, by its policy,
// with a timeout on every call and a bounded number of attempts.
//
// Notices that start a model turn go out in groups: when several are ready
// while the chat is busy (a turn running, or our last group's turn not yet
// begun), they wait and then go together, so the model takes one turn over
// them; a full group (`maxNoticesPerTurn`) goes at once, queued behind the
// busy turn, as waiting could not make it bigger, and the rest of such a
// burst goes when it pauses. Each notice keeps its own message and stamp. A
// group is fixed in the ledger before it is sent and resent as it was, under
// its own key, so a crash or a failed attempt never splits, merges or
// repeats a notice.

import type { UIMessage } from "ai";
import { type NoticeFacts, stampNotice } from "../wire/notice";
import { emit } from "./events";
import { type EngineContext, errorText, logError, withTimeout } from "./host";
import { groupKey, newGroupId, noticeKey, noticeMessageId } from "./keys";
import type { NoticeTarget } from "./ledger";
import { type BackgroundNotice, defaultNoticeText, digestText } from "./notice";
import { MAX_DELIVERY_BACKOFF_MS } from "./options";
import { type NoticeRow, toBatch, toTask } from "./rows";

/** The longest the chat counts as busy on our word alone (a turn we never saw end). */
const HOLD_CAP_MS = 30_000;
/** How long a burst must pause before its tail (a group not yet full) goes. */
const BURST_PAUSE_MS = 250;
/** Notices delivered one by one (callbacks, next-turn) per pass. */
const SINGLES_PER_PASS = 50;

export class Delivery {
  readonly #c: EngineContext;
  readonly #afterDelivery: () => Promise<void>;
  /** Turns running now, and our submitted groups whose turn has not begun. */
  readonly #turns = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #awaiting = new Map<string, ReturnType<typeof setTimeout>>();
  /** Turns that already ended, so a late `awaiting` never waits for one. */
  readonly #ended = new Set<string>();
  #groupInFlight = false;
  /**
   * A burst is under way: a full group went out behind the busy turn. Its
   * tail then goes when the burst pauses, not when every turn queued ahead
   * has run: the model would reach it no sooner, and the notices are in.
   */
  #burst = false;
  #tail: ReturnType<typeof setTimeout> | undefined;

  constructor(context: EngineContext, afterDelivery: () => Promise<void>) {
    this.#c = context;
    this.#afterDelivery = afterDelivery;
  }

  get #busy(): boolean {
    return this.#groupInFlight || this.#turns.size > 0 || this.#awaiting.size > 0;
  }

  turnStarted(requestId: string): void {
    this.#clear(this.#awaiting, requestId);
    this.#hold(this.#turns, requestId);
  }

  /** A turn ended: notices held for it go out now. */
  async turnEnded(requestId: string): Promise<void> {
    this.#clear(this.#turns, requestId);
    this.#clear(this.#awaiting, requestId);
    this.#ended.add(requestId);
    const oldest = this.#ended.values().next().value;
    if (this.#ended.size > 100 && oldest !== undefined) this.#ended.delete(oldest);
    await this.flush();
  }

  #hold(map: Map<string, ReturnType<typeof setTimeout>>, id: string): void {
    this.#clear(map, id);
    map.set(
      id,
      setTimeout(() => {
        map.delete(id);
        this.flush().catch((error: unknown) => logError("delivering held notices failed", error));
      }, HOLD_CAP_MS)
    );
  }

  #clear(map: Map<string, ReturnType<typeof setTimeout>>, id: string): void {
    const timer = map.get(id);
    if (timer !== undefined) clearTimeout(timer);
    map.delete(id);
  }

  /**
   * Deliver what is owed and free now: callbacks and next-turn notices one
   * by one, and, when the chat is not busy, the next group of notices that
   * start a turn. Safe to call from anywhere, any number of times: claims
   * decide who sends what.
   */
  async flush(): Promise<void> {
    const { ledger, host } = this.#c;
    const now = Date.now();
    const chatFree = host.chat !== null && !this.#busy;
    const singles = ledger.notices.owed(
      now,
      chatFree ? ["callback", "next-turn"] : ["callback"],
      SINGLES_PER_PASS
    );
    const work = singles.map((row) => this.#deliverOne(row));
    if (chatFree) this.#burst = false;
    if (chatFree ? ledger.notices.hasOwedTurn(now) : this.#fullGroupOwed(now)) {
      work.push(this.#deliverGroup());
    } else if (this.#burst) {
      this.#tailSoon();
    }
    await Promise.all(work);
  }

  /** The burst's tail goes once no notice has come for a moment (each new one restarts the wait). */
  #tailSoon(): void {
    if (this.#tail !== undefined) clearTimeout(this.#tail);
    this.#tail = setTimeout(() => {
      this.#tail = undefined;
      this.#sendTail().catch((error: unknown) => logError("delivering held notices failed", error));
    }, BURST_PAUSE_MS);
  }

  async #sendTail(): Promise<void> {
    if (!this.#busy || !this.#burst) return this.flush();
    if (this.#groupInFlight) return this.#tailSoon();
    if (this.#c.ledger.notices.hasOwedTurn(Date.now())) await this.#deliverGroup();
  }

  /** A whole group's worth of turn notices is free, and nothing else is being submitted. */
  #fullGroupOwed(now: number): boolean {
    const { ledger, host, options } = this.#c;
    if (host.chat === null || this.#groupInFlight) return false;
    const max = options.maxNoticesPerTurn;
    return ledger.notices.countOwedTurn(now, max) >= max;
  }

  /** A callback or a next-turn notice, alone. */
  async #deliverOne(row: NoticeRow): Promise<void> {
    const { ledger, options, instanceId, host } = this.#c;
    const attempt = ledger.notices.claimOne(
      row.task_id,
      row.slot,
      Date.now(),
      options.deliveryLeaseMs,
      instanceId
    );
    if (attempt === null) return;
    const target = { subjectId: row.task_id, slot: row.slot };
    try {
      const notice = this.#notice(row);
      if (notice && row.policy === "callback" && notice.slot !== "batch") {
        const method = notice.task.delivery.kind === "callback" ? notice.task.delivery.method : "";
        const call = host.callback(method);
        if (!call) throw new Error(`onFinish method "${method}" is missing on ${host.name}`);
        const key = noticeKey(row.task_id, row.slot);
        await withTimeout(
          Promise.resolve(call({ ...notice, idempotencyKey: key })),
          options.deliveryTimeoutMs,
          `onFinish "${method}"`
        );
      } else if (notice && row.policy === "next-turn" && host.chat) {
        const message = await this.#message(row, notice);
        // Added to the history without a turn; the next user message comes after it.
        if (message) {
          await withTimeout(host.chat.add([message]), options.deliveryTimeoutMs, "adding a notice");
        }
      }
      ledger.notices.markDelivered(target, Date.now(), null);
      this.#delivered([row]);
    } catch (error) {
      this.#failed(target, [row], attempt, error);
    }
    await this.#afterDelivery();
  }

  /** The next group of notices that start a turn, in one submission. */
  async #deliverGroup(): Promise<void> {
    const { ledger, options, instanceId, host } = this.#c;
    if (this.#groupInFlight || !host.chat) return;
    this.#groupInFlight = true;
    let full = false;
    try {
      const claimed = ledger.notices.claimGroup(
        Date.now(),
        options.deliveryLeaseMs,
        instanceId,
        newGroupId(),
        options.maxNoticesPerTurn
      );
      if (!claimed) return;
      const target = { groupId: claimed.groupId };
      const attempt = Math.max(...claimed.members.map((m) => m.attempts));
      try {
        const messages = await this.#groupMessages(claimed.groupId, claimed.members);
        let submissionId: string | null = null;
        if (messages.length > 0) {
          const only = claimed.members.length === 1 ? claimed.members[0] : undefined;
          const key =
            only && only.policy === "react"
              ? noticeKey(only.task_id, only.slot)
              : groupKey(claimed.groupId);
          const submitted = await withTimeout(
            host.chat.submit(messages, key),
            options.deliveryTimeoutMs,
            "submitting notices"
          );
          submissionId = submitted.submissionId;
          if (submitted.accepted && !this.#ended.has(submissionId)) {
            this.#hold(this.#awaiting, submissionId);
          }
        }
        ledger.notices.markDelivered(target, Date.now(), submissionId);
        this.#delivered(claimed.members);
        full = claimed.members.length >= options.maxNoticesPerTurn;
        if (full) this.#burst = true;
      } catch (error) {
        this.#failed(target, claimed.members, attempt, error);
      }
    } finally {
      this.#groupInFlight = false;
    }
    // A burst may have filled another group meanwhile.
    if (full && this.#fullGroupOwed(Date.now())) await this.#deliverGroup();
    await this.#afterDelivery();
  }

  /** One message per notice that reacts, and one merged message for the digest notices. */
  async #groupMessages(groupId: string, members: NoticeRow[]): Promise<UIMessage[]> {
    const messages: UIMessage[] = [];
    const digest: { facts: NoticeFacts; text: string }[] = [];
    for (const row of members) {
      const notice = this.#notice(row);
      if (!notice) continue;
      if (row.policy === "digest") {
        const text = this.#render(notice);
        if (text !== "") digest.push({ facts: this.#facts(notice), text });
        continue;
      }
      const message = await this.#message(row, notice);
      if (message) messages.push(message);
    }
    const first = digest[0];
    if (first) {
      const facts = {
        ...first.facts,
        taskIds: digest.flatMap((d) => d.facts.taskIds ?? [d.facts.taskId])
      };
      messages.push(
        this.#uiMessage(`bg-digest-${groupId}`, digestText(digest.map((d) => d.text)), facts)
      );
    }
    return messages;
  }

  /** A notice's own message, stable across retries; null when its text is empty. */
  async #message(row: NoticeRow, notice: BackgroundNotice): Promise<UIMessage | null> {
    const text = this.#render(notice);
    if (text === "") return null;
    const id = await noticeMessageId(this.#c.ledger.messageSecret(), row.task_id, row.slot);
    return this.#uiMessage(id, text, this.#facts(notice));
  }

  #uiMessage(id: string, text: string, facts: NoticeFacts): UIMessage {
    return { id, role: "user", parts: [{ type: "text", text }], metadata: stampNotice(facts) };
  }

  /** The host's text for a notice; a renderer that throws never blocks a delivery. */
  #render(notice: BackgroundNotice): string {
    try {
      return this.#c.host.render(notice);
    } catch (error) {
      logError("renderBackgroundNotice threw; the default text is sent", error);
      return defaultNoticeText(notice);
    }
  }

  #delivered(rows: readonly NoticeRow[]): void {
    for (const row of rows) this.#c.changed(row.task_id);
    emit(this.#c.source, "background:notice:delivered", () => ({
      taskIds: rows.map((r) => r.task_id),
      slots: rows.map((r) => r.slot),
      policy: rows[0]?.policy ?? "react",
      latencyMs: Date.now() - Math.min(...rows.map((r) => r.created_at))
    }));
  }

  /** A failed attempt: back off and try again, or, after the last one, fail for good. */
  #failed(target: NoticeTarget, rows: readonly NoticeRow[], attempt: number, error: unknown): void {
    const { ledger, options } = this.#c;
    const now = Date.now();
    const last = attempt >= options.maxDeliveryAttempts;
    const pause = Math.min(options.deliveryRetryMs * 2 ** (attempt - 1), MAX_DELIVERY_BACKOFF_MS);
    ledger.notices.recordFailure(target, errorText(error), now, last ? null : now + pause);
    if (last) for (const row of rows) this.#c.changed(row.task_id);
    emit(this.#c.source, "background:notice:failed", () => ({
      taskIds: rows.map((r) => r.task_id),
      attempt,
      final: last,
      retryInMs: last ? null : pause,
      error: errorText(error)
    }));
    const what =
      "groupId" in target ? `group ${target.groupId}` : `${target.slot} of ${target.subjectId}`;
    logError(
      last
        ? `delivering ${what} failed ${attempt} times; it is marked failed (retryDelivery retries it)`
        : `delivering ${what} failed (attempt ${attempt}); retrying in ${pause} ms`,
      error
    );
  }

  #notice(row: NoticeRow): BackgroundNotice | null {
    const { ledger, options } = this.#c;
    if (row.slot === "batch") {
      const batch = ledger.batches.get(row.task_id);
      if (!batch) return null;
      const rows = ledger.batches.tasks(batch.id);
      const notices = ledger.notices.ofMany(rows.map((t) => t.id));
      const tasks = rows.map((t) => toTask(t, notices.get(t.id) ?? []));
      return {
        slot: "batch",
        status: "ended",
        batch: toBatch(
          batch,
          tasks.map((t) => t.id)
        ),
        source: batch.source,
        tasks,
        maxChars: options.noticeMaxChars
      };
    }
    const task = ledger.tasks.get(row.task_id);
    if (!task || row.status === "ended") return null;
    return {
      slot: row.slot,
      status: row.status,
      task: toTask(task, ledger.notices.of(row.task_id)),
      maxChars: options.noticeMaxChars
    };
  }

  #facts(notice: BackgroundNotice): NoticeFacts {
    if (notice.slot === "batch") {
      return {
        source: notice.source,
        taskId: notice.batch.id,
        status: "ended",
        taskIds: notice.batch.taskIds
      };
    }
    return { source: notice.task.source, taskId: notice.task.id, status: notice.status };
  }
}
