// The task ledger: rows of bg_tasks, bg_batches and bg_notices, the mappers
// to domain types, and every query the engine runs against them. Writes that
// change a status are guarded UPDATEs of one row: the caller checks that rows
// were written (`> 0`, never `=== 1`: SQLite counts index writes too).

import type { AgentToolProgressSnapshot } from "agents";
import { newSecret } from "./keys";
import {
  type DeliveryPolicy,
  ENDED_STATUSES,
  type GiveUpReason,
  isDeliveryPolicy,
  type NoticeSlot,
  type NoticeStatus,
  PENDING_STATUSES,
  sqlList,
  type TaskNoticeSlot,
  type TaskStatus
} from "./status";

/** How a task's notices reach the host: a chat policy, or a named method. */
export type Delivery = { kind: DeliveryPolicy } | { kind: "callback"; method: string };

/** A background task as callers see it. */
export type BackgroundTask = {
  id: string;
  runId: string;
  agent: string;
  title: string;
  input: unknown;
  status: TaskStatus;
  giveUpReason: GiveUpReason | null;
  /** Why a task was cancelled without a cancel call (a dependency ended badly). */
  cancelReason: string | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  createdAt: number;
  /** When a scheduled task is due. */
  runAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  /** Tasks that must complete before this one starts. */
  after: string[];
  batchId: string | null;
  /** The child's latest `reportProgress` snapshot. */
  progress: AgentToolProgressSnapshot | null;
  /** The child's final text (or structured output as text), kept up to `maxStoredOutputChars`. */
  summary: string | null;
  output: unknown;
  error: string | null;
  inspections: number;
  notices: NoticeState[];
};

export type NoticeState = {
  slot: NoticeSlot;
  status: NoticeStatus;
  policy: DeliveryPolicy | "callback";
  deliveredAt: number | null;
  attempts: number;
};

export type BatchDelivery = "each" | "all";

export type BackgroundBatch = {
  id: string;
  agent: string;
  instructions: string;
  maxConcurrency: number;
  delivery: BatchDelivery;
  createdAt: number;
  endedAt: number | null;
  taskIds: string[];
};

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
  stop_reason: "budget" | "cancel" | null;
  cancel_reason: string | null;
  budget_ms: number;
  created_at: number;
  run_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  after_json: string | null;
  batch_id: string | null;
  null_streak: number;
  inspections: number;
  last_inspected_at: number | null;
  progress_json: string | null;
  summary: string | null;
  output_json: string | null;
  error: string | null;
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
  claimed_until: number | null;
  claimed_by: string | null;
  attempts: number;
  digest_id: string | null;
  delivered_at: number | null;
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

/** The notice policy a delivery implies. */
export function policyOf(delivery: Delivery): DeliveryPolicy | "callback" {
  return delivery.kind;
}

export function afterOf(row: Pick<TaskRow, "after_json">): string[] {
  const after = parseJson(row.after_json);
  return Array.isArray(after) ? after.filter((id): id is string => typeof id === "string") : [];
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
    notices: notices.map((n) => ({
      slot: n.slot,
      status: n.status,
      policy: n.policy,
      deliveredAt: n.delivered_at,
      attempts: n.attempts
    }))
  };
}

export type NewTask = {
  id: string;
  runId: string;
  agent: string;
  title: string;
  inputJson: string;
  idempotencyKey: string | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  status: "running" | "scheduled" | "waiting";
  runAt: number | null;
  after: readonly string[];
  batchId: string | null;
  now: number;
};

/** What a settled outcome writes onto the task. */
export type SettleFields = {
  summary?: string | null;
  outputJson?: string | null;
  error?: string | null;
  giveUpReason?: GiveUpReason;
  stopReason?: "budget" | "cancel";
  cancelReason?: string;
};

export class Ledger {
  #secret: string | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private rows<T>(query: string, ...bindings: SqlStorageValue[]): T[] {
    return this.sql.exec(query, ...bindings).toArray() as T[];
  }

  private write(query: string, ...bindings: SqlStorageValue[]): number {
    return this.sql.exec(query, ...bindings).rowsWritten;
  }

  private count(query: string, ...bindings: SqlStorageValue[]): number {
    return this.rows<{ n: number }>(query, ...bindings)[0]?.n ?? 0;
  }

  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  /**
   * This instance's secret, minted on first use: notice message ids are
   * derived from it, so nobody who can post into the chat can take a notice's
   * id before the notice lands (appends are idempotent by message id).
   */
  messageSecret(): string {
    if (this.#secret !== undefined) return this.#secret;
    this.write(
      "INSERT INTO bg_meta (key, value) VALUES ('message_secret', ?) ON CONFLICT (key) DO NOTHING",
      newSecret()
    );
    const row = this.rows<{ value: string }>(
      "SELECT value FROM bg_meta WHERE key = 'message_secret'"
    )[0];
    if (!row) throw new Error("agents-background: the message secret could not be stored");
    this.#secret = row.value;
    return row.value;
  }

  // ── Tasks ────────────────────────────────────────────────────────────────

  insertTask(t: NewTask): void {
    this.write(
      `INSERT INTO bg_tasks (id, run_id, agent, title, input_json, idempotency_key, source,
         delivery, status, budget_ms, created_at, run_at, started_at, after_json, batch_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      t.id,
      t.runId,
      t.agent,
      t.title,
      t.inputJson,
      t.idempotencyKey,
      t.source,
      encodeDelivery(t.delivery),
      t.status,
      t.budgetMs,
      t.now,
      t.runAt,
      t.status === "running" ? t.now : null,
      t.after.length > 0 ? JSON.stringify(t.after) : null,
      t.batchId
    );
  }

  task(id: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE id = ?", id)[0];
  }

  tasks(ids: readonly string[]): TaskRow[] {
    if (ids.length === 0) return [];
    return this.rows<TaskRow>(
      `SELECT * FROM bg_tasks WHERE id IN (${ids.map(() => "?").join(", ")})`,
      ...ids
    );
  }

  taskByRun(runId: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE run_id = ?", runId)[0];
  }

  taskByKey(key: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE idempotency_key = ?", key)[0];
  }

  countRunning(): number {
    return this.count("SELECT COUNT(*) AS n FROM bg_tasks WHERE status = 'running'");
  }

  countPending(): number {
    return this.count(
      `SELECT COUNT(*) AS n FROM bg_tasks WHERE status IN (${sqlList(PENDING_STATUSES)})`
    );
  }

  running(): TaskRow[] {
    return this.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE status = 'running' ORDER BY created_at, id"
    );
  }

  waiting(): TaskRow[] {
    return this.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE status = 'waiting' ORDER BY created_at, id"
    );
  }

  earliestRunAt(): number | null {
    return (
      this.rows<{ t: number | null }>(
        "SELECT MIN(run_at) AS t FROM bg_tasks WHERE status = 'scheduled'"
      )[0]?.t ?? null
    );
  }

  /** Scheduled tasks whose time has come join the waiting line. */
  releaseDueScheduled(now: number): number {
    return this.write(
      "UPDATE bg_tasks SET status = 'waiting' WHERE status = 'scheduled' AND run_at <= ?",
      now
    );
  }

  countRunningInBatch(batchId: string): number {
    return this.count(
      "SELECT COUNT(*) AS n FROM bg_tasks WHERE batch_id = ? AND status = 'running'",
      batchId
    );
  }

  /** Tasks newest first, optionally by status, after a (created_at, id) cursor. */
  list(opts: {
    statuses: readonly TaskStatus[] | null;
    limit: number;
    before: { createdAt: number; id: string } | null;
  }): TaskRow[] {
    const where: string[] = [];
    const bindings: SqlStorageValue[] = [];
    if (opts.statuses) where.push(`status IN (${sqlList(opts.statuses)})`);
    if (opts.before) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      bindings.push(opts.before.createdAt, opts.before.createdAt, opts.before.id);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    return this.rows<TaskRow>(
      `SELECT * FROM bg_tasks ${clause} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ...bindings,
      opts.limit
    );
  }

  /** Move a waiting task to running. Guarded: false when it is no longer waiting. */
  markStarted(taskId: string, now: number): boolean {
    return (
      this.write(
        "UPDATE bg_tasks SET status = 'running', started_at = ? WHERE id = ? AND status = 'waiting'",
        now,
        taskId
      ) > 0
    );
  }

  /**
   * Move a task to `to` and open the notice slot that reports it, in one
   * transaction. Guarded on the statuses the move is allowed from: returns
   * false (and writes nothing) when another path got there first.
   */
  settle(
    taskId: string,
    from: readonly TaskStatus[],
    to: TaskStatus,
    slot: TaskNoticeSlot,
    now: number,
    fields: SettleFields
  ): boolean {
    return this.transaction(() => {
      const moved = this.write(
        `UPDATE bg_tasks SET
           status = ?,
           ended_at = ?,
           summary = COALESCE(?, summary),
           output_json = COALESCE(?, output_json),
           error = COALESCE(?, error),
           give_up_reason = COALESCE(?, give_up_reason),
           stop_reason = COALESCE(?, stop_reason),
           cancel_reason = COALESCE(?, cancel_reason)
         WHERE id = ? AND status IN (${sqlList(from)})`,
        to,
        now,
        fields.summary ?? null,
        fields.outputJson ?? null,
        fields.error ?? null,
        fields.giveUpReason ?? null,
        fields.stopReason ?? null,
        fields.cancelReason ?? null,
        taskId
      );
      if (moved === 0) return false;
      const row = this.task(taskId);
      if (row) this.openNotice(taskId, slot, to, policyOf(decodeDelivery(row.delivery)), now);
      return true;
    });
  }

  /** Mark that the engine itself is stopping the child, so its abort is not reported as a result. */
  markStopping(taskId: string, reason: "budget" | "cancel"): boolean {
    return (
      this.write(
        "UPDATE bg_tasks SET stop_reason = ? WHERE id = ? AND status = 'running' AND stop_reason IS NULL",
        reason,
        taskId
      ) > 0
    );
  }

  recordInspection(
    taskId: string,
    now: number,
    seen: { progressJson: string | null } | null
  ): void {
    if (seen === null) {
      this.write(
        `UPDATE bg_tasks SET null_streak = null_streak + 1, inspections = inspections + 1,
           last_inspected_at = ? WHERE id = ?`,
        now,
        taskId
      );
    } else {
      this.write(
        `UPDATE bg_tasks SET null_streak = 0, inspections = inspections + 1,
           last_inspected_at = ?, progress_json = COALESCE(?, progress_json) WHERE id = ?`,
        now,
        seen.progressJson,
        taskId
      );
    }
  }

  recordProgress(runId: string, progressJson: string): void {
    this.write(
      "UPDATE bg_tasks SET progress_json = ? WHERE run_id = ? AND status = 'running'",
      progressJson,
      runId
    );
  }

  // ── Batches ──────────────────────────────────────────────────────────────

  insertBatch(b: BatchRow): void {
    this.write(
      `INSERT INTO bg_batches (id, agent, instructions, max_concurrency, delivery, idempotency_key,
         source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      b.id,
      b.agent,
      b.instructions,
      b.max_concurrency,
      b.delivery,
      b.idempotency_key,
      b.source,
      b.created_at
    );
  }

  batch(id: string): BatchRow | undefined {
    return this.rows<BatchRow>("SELECT * FROM bg_batches WHERE id = ?", id)[0];
  }

  batchByKey(key: string): BatchRow | undefined {
    return this.rows<BatchRow>("SELECT * FROM bg_batches WHERE idempotency_key = ?", key)[0];
  }

  batchTasks(batchId: string): TaskRow[] {
    return this.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE batch_id = ? ORDER BY created_at, id",
      batchId
    );
  }

  /**
   * Close a batch whose every task has ended, and open its one notice when it
   * delivers "all". Guarded: only the first caller closes it.
   */
  closeBatchIfEnded(batchId: string, now: number): boolean {
    return this.transaction(() => {
      const open = this.count(
        `SELECT COUNT(*) AS n FROM bg_tasks WHERE batch_id = ? AND status NOT IN (${sqlList(ENDED_STATUSES)})`,
        batchId
      );
      if (open > 0) return false;
      const closed = this.write(
        "UPDATE bg_batches SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
        now,
        batchId
      );
      if (closed === 0) return false;
      const batch = this.batch(batchId);
      if (batch?.delivery === "all") this.openNotice(batchId, "batch", "ended", "react", now);
      return true;
    });
  }

  // ── Notices ──────────────────────────────────────────────────────────────

  /** Open a slot. INSERT OR IGNORE: a slot, once opened, is never reopened or rewritten. */
  private openNotice(
    subjectId: string,
    slot: NoticeSlot,
    status: NoticeStatus,
    policy: DeliveryPolicy | "callback",
    now: number
  ): void {
    this.write(
      `INSERT OR IGNORE INTO bg_notices (task_id, slot, status, policy, created_at)
       VALUES (?, ?, ?, ?, ?)`,
      subjectId,
      slot,
      status,
      policy,
      now
    );
  }

  notice(subjectId: string, slot: NoticeSlot): NoticeRow | undefined {
    return this.rows<NoticeRow>(
      "SELECT * FROM bg_notices WHERE task_id = ? AND slot = ?",
      subjectId,
      slot
    )[0];
  }

  notices(subjectId: string): NoticeRow[] {
    return this.rows<NoticeRow>(
      "SELECT * FROM bg_notices WHERE task_id = ? ORDER BY created_at",
      subjectId
    );
  }

  /** Notices not yet delivered whose claim (if any) has lapsed. */
  deliverableNotices(now: number): NoticeRow[] {
    return this.rows<NoticeRow>(
      `SELECT * FROM bg_notices
       WHERE delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)
       ORDER BY created_at`,
      now
    );
  }

  countUndelivered(): number {
    return this.count("SELECT COUNT(*) AS n FROM bg_notices WHERE delivered_at IS NULL");
  }

  /** Earliest time a held claim lapses, so the backbone can come back for it. */
  earliestLeaseEnd(): number | null {
    return (
      this.rows<{ t: number | null }>(
        "SELECT MIN(claimed_until) AS t FROM bg_notices WHERE delivered_at IS NULL"
      )[0]?.t ?? null
    );
  }

  /**
   * Exactly-once, step one: claim a notice slot with a lease. Only one caller
   * can hold an undelivered slot at a time; the lease lets a later attempt take
   * over from a claimer that died. Returns true to the single winner.
   */
  claimNotice(
    subjectId: string,
    slot: NoticeSlot,
    now: number,
    leaseMs: number,
    owner: string
  ): boolean {
    return (
      this.write(
        `UPDATE bg_notices SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1
         WHERE task_id = ? AND slot = ? AND delivered_at IS NULL
           AND (claimed_until IS NULL OR claimed_until < ?)`,
        now + leaseMs,
        owner,
        subjectId,
        slot,
        now
      ) > 0
    );
  }

  /** Give a claim back without delivering (the notice waits for a better moment). */
  unclaim(subjectId: string, slot: NoticeSlot, owner: string): void {
    this.write(
      `UPDATE bg_notices SET claimed_until = NULL, claimed_by = NULL
       WHERE task_id = ? AND slot = ? AND claimed_by = ? AND delivered_at IS NULL`,
      subjectId,
      slot,
      owner
    );
  }

  /**
   * Gather undelivered digest notices into one digest: an unfinished digest
   * (cut short by a restart) first, else every free one. Claims them all with
   * one lease. Returns the digest id and its notices, or null.
   */
  claimDigest(
    now: number,
    leaseMs: number,
    owner: string,
    newId: string
  ): { digestId: string; notices: NoticeRow[] } | null {
    return this.transaction(() => {
      const free = "delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)";
      const unfinished = this.rows<{ digest_id: string }>(
        `SELECT digest_id FROM bg_notices WHERE policy = 'digest' AND digest_id IS NOT NULL AND ${free} LIMIT 1`,
        now
      )[0]?.digest_id;
      const digestId = unfinished ?? newId;
      const claimed = unfinished
        ? this.write(
            `UPDATE bg_notices SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1
             WHERE digest_id = ? AND ${free}`,
            now + leaseMs,
            owner,
            digestId,
            now
          )
        : this.write(
            `UPDATE bg_notices SET digest_id = ?, claimed_until = ?, claimed_by = ?, attempts = attempts + 1
             WHERE policy = 'digest' AND digest_id IS NULL AND ${free}`,
            digestId,
            now + leaseMs,
            owner,
            now
          );
      if (claimed === 0) return null;
      const notices = this.rows<NoticeRow>(
        "SELECT * FROM bg_notices WHERE digest_id = ? AND delivered_at IS NULL ORDER BY created_at",
        digestId
      );
      return { digestId, notices };
    });
  }

  /** Exactly-once, step two: the slot is delivered; no attempt will take it again. */
  markDelivered(
    subjectId: string,
    slot: NoticeSlot,
    now: number,
    submissionId: string | null
  ): void {
    this.write(
      `UPDATE bg_notices SET delivered_at = ?, submission_id = ?, claimed_until = NULL, last_error = NULL
       WHERE task_id = ? AND slot = ? AND delivered_at IS NULL`,
      now,
      submissionId,
      subjectId,
      slot
    );
  }

  markDigestDelivered(digestId: string, now: number, submissionId: string | null): void {
    this.write(
      `UPDATE bg_notices SET delivered_at = ?, submission_id = ?, claimed_until = NULL, last_error = NULL
       WHERE digest_id = ? AND delivered_at IS NULL`,
      now,
      submissionId,
      digestId
    );
  }

  /** A delivery attempt failed: keep the lease (the backbone retries after it) and say why. */
  recordDeliveryError(subjectId: string, slot: NoticeSlot, error: string): void {
    this.write(
      "UPDATE bg_notices SET last_error = ? WHERE task_id = ? AND slot = ? AND delivered_at IS NULL",
      error,
      subjectId,
      slot
    );
  }

  /**
   * On start-up: a Durable Object has one live instance, so a claim held by
   * another instance belongs to one that is gone. Release those so delivery
   * resumes at once instead of after the lease.
   */
  releaseClaimsNotOwnedBy(owner: string): void {
    this.write(
      `UPDATE bg_notices SET claimed_until = NULL, claimed_by = NULL
       WHERE delivered_at IS NULL AND claimed_by IS NOT NULL AND claimed_by != ?`,
      owner
    );
  }
}
