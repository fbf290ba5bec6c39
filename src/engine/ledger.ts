// The task ledger: rows of bg_tasks and bg_notices, the one mapper to the
// domain type, and every query the engine runs against them. Writes that
// change a task's status are guarded UPDATEs: the caller checks rowsWritten.

import type { AgentToolProgressSnapshot } from "agents";
import { type GiveUpReason, type NoticeSlot, sqlList, type TaskStatus } from "./status";

/** How a task's notices reach the host: a chat turn, or a named method. */
export type Delivery = { kind: "react" } | { kind: "callback"; method: string };

/** A background task as callers see it. */
export type BackgroundTask = {
  id: string;
  runId: string;
  agent: string;
  title: string;
  input: unknown;
  status: TaskStatus;
  giveUpReason: GiveUpReason | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  createdAt: number;
  startedAt: number;
  endedAt: number | null;
  /** The child's latest `reportProgress` snapshot, while it runs. */
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
  status: TaskStatus;
  deliveredAt: number | null;
  attempts: number;
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
  budget_ms: number;
  created_at: number;
  started_at: number;
  ended_at: number | null;
  null_streak: number;
  inspections: number;
  last_inspected_at: number | null;
  progress_json: string | null;
  summary: string | null;
  output_json: string | null;
  error: string | null;
};

export type NoticeRow = {
  task_id: string;
  slot: NoticeSlot;
  status: TaskStatus;
  created_at: number;
  claimed_until: number | null;
  claimed_by: string | null;
  attempts: number;
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
  return delivery.kind === "react" ? "react" : `callback:${delivery.method}`;
}

export function decodeDelivery(text: string): Delivery {
  return text.startsWith("callback:")
    ? { kind: "callback", method: text.slice("callback:".length) }
    : { kind: "react" };
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
    source: row.source,
    delivery: decodeDelivery(row.delivery),
    budgetMs: row.budget_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    progress: parseJson(row.progress_json) as AgentToolProgressSnapshot | null,
    summary: row.summary,
    output: parseJson(row.output_json),
    error: row.error,
    inspections: row.inspections,
    notices: notices.map((n) => ({
      slot: n.slot,
      status: n.status,
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
  now: number;
};

/** What a settled outcome writes onto the task. */
export type OutcomeFields = {
  summary: string | null;
  outputJson: string | null;
  error: string | null;
};

export class Ledger {
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

  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  insertTask(t: NewTask): void {
    this.write(
      `INSERT INTO bg_tasks (id, run_id, agent, title, input_json, idempotency_key, source,
         delivery, status, budget_ms, created_at, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
      t.id,
      t.runId,
      t.agent,
      t.title,
      t.inputJson,
      t.idempotencyKey,
      t.source,
      encodeDelivery(t.delivery),
      t.budgetMs,
      t.now,
      t.now
    );
  }

  task(id: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE id = ?", id)[0];
  }

  taskByRun(runId: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE run_id = ?", runId)[0];
  }

  taskByKey(key: string): TaskRow | undefined {
    return this.rows<TaskRow>("SELECT * FROM bg_tasks WHERE idempotency_key = ?", key)[0];
  }

  countOutstanding(): number {
    const row = this.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM bg_tasks WHERE status = 'running'"
    )[0];
    return row?.n ?? 0;
  }

  outstanding(): TaskRow[] {
    return this.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE status = 'running' ORDER BY created_at, id"
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

  notices(taskId: string): NoticeRow[] {
    return this.rows<NoticeRow>(
      "SELECT * FROM bg_notices WHERE task_id = ? ORDER BY created_at",
      taskId
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
    const row = this.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM bg_notices WHERE delivered_at IS NULL"
    )[0];
    return row?.n ?? 0;
  }

  /** Earliest time a held claim lapses, so the backbone can come back for it. */
  earliestLeaseEnd(): number | null {
    const row = this.rows<{ t: number | null }>(
      "SELECT MIN(claimed_until) AS t FROM bg_notices WHERE delivered_at IS NULL"
    )[0];
    return row?.t ?? null;
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
    slot: NoticeSlot,
    now: number,
    fields: Partial<OutcomeFields> & {
      giveUpReason?: GiveUpReason;
      stopReason?: "budget" | "cancel";
    }
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
           stop_reason = COALESCE(?, stop_reason)
         WHERE id = ? AND status IN (${sqlList(from)})`,
        to,
        now,
        fields.summary ?? null,
        fields.outputJson ?? null,
        fields.error ?? null,
        fields.giveUpReason ?? null,
        fields.stopReason ?? null,
        taskId
      );
      if (moved === 0) return false;
      // INSERT OR IGNORE: a slot, once opened, is never reopened or rewritten.
      this.write(
        `INSERT OR IGNORE INTO bg_notices (task_id, slot, status, created_at)
         VALUES (?, ?, ?, ?)`,
        taskId,
        slot,
        to,
        now
      );
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
      ) === 1
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

  /**
   * Exactly-once, step one: claim a notice slot with a lease. Only one caller
   * can hold an undelivered slot at a time; the lease lets a later attempt take
   * over from a claimer that died. Returns true to the single winner.
   */
  claimNotice(
    taskId: string,
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
        taskId,
        slot,
        now
      ) === 1
    );
  }

  /** Exactly-once, step two: the slot is delivered; no attempt will take it again. */
  markDelivered(taskId: string, slot: NoticeSlot, now: number, submissionId: string | null): void {
    this.write(
      `UPDATE bg_notices SET delivered_at = ?, submission_id = ?, claimed_until = NULL, last_error = NULL
       WHERE task_id = ? AND slot = ? AND delivered_at IS NULL`,
      now,
      submissionId,
      taskId,
      slot
    );
  }

  /** A delivery attempt failed: keep the lease (the backbone retries after it) and say why. */
  recordDeliveryError(taskId: string, slot: NoticeSlot, error: string): void {
    this.write(
      "UPDATE bg_notices SET last_error = ? WHERE task_id = ? AND slot = ? AND delivered_at IS NULL",
      error,
      taskId,
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
