// Tasks and their child runs: SQL over bg_tasks and bg_runs. Writes that
// change a status are guarded UPDATEs of one row; the caller checks that
// they applied.

import { encodeDelivery, type TaskRow } from "../rows";
import {
  type DeliveryPolicy,
  type GiveUpReason,
  PENDING_STATUSES,
  type RerunPolicy,
  type StopReason,
  sqlList,
  type TaskNoticeSlot,
  type TaskStatus
} from "../status";
import type { Delivery } from "../types";
import { openNotice } from "./notices";
import type { Sql } from "./sql";

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
  rerun: RerunPolicy;
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
  cancelReason?: string;
};

/** What the backbone needs of a task it follows to choose whether to inspect it. */
export type FollowedRef = {
  id: string;
  run_id: string;
  status: "running" | "gave_up";
  confirmed: number;
  budget_at: number;
  attempt_started_at: number;
};

/**
 * A task given up as lost that still waits on its late run: within its
 * budget (as `awaitsRun` says), and besides, not being pruned and its run
 * not cut short for good (a restart cut it and no rerun was allowed). `?` is now.
 * The rule is stated twice; test/workers/late-run-rule.test.ts keeps the two in step.
 */
const AWAITS_LATE_RUN = `status = 'gave_up' AND give_up_reason = 'lost' AND pruning_at IS NULL
  AND COALESCE(started_at, created_at) + budget_ms > ?
  AND NOT EXISTS (SELECT 1 FROM bg_runs r
    WHERE r.run_id = bg_tasks.run_id AND r.interrupted_at IS NOT NULL)`;

/** The tasks the backbone follows: running, or awaiting a late run. `IN` keeps it on the status index. */
const FOLLOWED = `status IN ('running', 'gave_up') AND (status = 'running' OR (${AWAITS_LATE_RUN}))`;

export class TaskLedger {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  insert(t: NewTask): void {
    const startedAt = t.status === "running" ? t.now : null;
    this.#sql.write(
      `INSERT INTO bg_tasks (id, run_id, agent, title, input_json, idempotency_key, source,
         delivery, status, budget_ms, rerun, created_at, run_at, started_at, attempt_started_at,
         after_json, batch_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      t.rerun,
      t.now,
      t.runAt,
      startedAt,
      startedAt,
      t.after.length > 0 ? JSON.stringify(t.after) : null,
      t.batchId
    );
    this.#insertRun(t.runId, t.id, 1, t.agent, t.now);
  }

  #insertRun(runId: string, taskId: string, attempt: number, agent: string, now: number): void {
    this.#sql.write(
      "INSERT INTO bg_runs (run_id, task_id, attempt, agent, created_at) VALUES (?, ?, ?, ?, ?)",
      runId,
      taskId,
      attempt,
      agent,
      now
    );
  }

  get(id: string): TaskRow | undefined {
    return this.#sql.rows<TaskRow>("SELECT * FROM bg_tasks WHERE id = ?", id)[0];
  }

  /** The task whose current attempt is `runId` (an earlier attempt's run finds nothing). */
  byRun(runId: string): TaskRow | undefined {
    return this.#sql.rows<TaskRow>("SELECT * FROM bg_tasks WHERE run_id = ?", runId)[0];
  }

  byKey(key: string): TaskRow | undefined {
    return this.#sql.rows<TaskRow>("SELECT * FROM bg_tasks WHERE idempotency_key = ?", key)[0];
  }

  countRunning(): number {
    return this.#sql.count("SELECT COUNT(*) AS n FROM bg_tasks WHERE status = 'running'");
  }

  countPending(): number {
    return this.#sql.count(
      `SELECT COUNT(*) AS n FROM bg_tasks WHERE status IN (${sqlList(PENDING_STATUSES)})`
    );
  }

  /**
   * Every task the backbone follows (running, or given up as lost and still
   * waiting on its late run), as little as it needs to choose what to inspect.
   */
  followedRefs(now: number): FollowedRef[] {
    return this.#sql.rows<FollowedRef>(
      `SELECT id, run_id, status, confirmed,
         COALESCE(started_at, created_at) + budget_ms AS budget_at,
         COALESCE(attempt_started_at, started_at, created_at) AS attempt_started_at
       FROM bg_tasks WHERE ${FOLLOWED} ORDER BY created_at, id`,
      now
    );
  }

  /** How many tasks the backbone follows (see `followedRefs`). */
  countFollowed(now: number): number {
    return this.#sql.count(`SELECT COUNT(*) AS n FROM bg_tasks WHERE ${FOLLOWED}`, now);
  }

  running(): TaskRow[] {
    return this.#sql.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE status = 'running' ORDER BY created_at, id"
    );
  }

  /** Tasks given up as lost that still wait on their late run: its result may still come. */
  awaitingLateRun(now: number): TaskRow[] {
    return this.#sql.rows<TaskRow>(
      `SELECT * FROM bg_tasks WHERE ${AWAITS_LATE_RUN} ORDER BY created_at, id`,
      now
    );
  }

  waiting(): TaskRow[] {
    return this.#sql.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE status = 'waiting' ORDER BY created_at, id"
    );
  }

  /**
   * The nearest deadline of a running task: a budget's end, or the end of the
   * lost-grace time of an attempt that has used up its null tolerance.
   * Computed in SQL, without reading the rows.
   */
  nextDeadline(nullTolerance: number, lostGraceMs: number): number | null {
    const row = this.#sql.rows<{ budget: number | null; grace: number | null }>(
      `SELECT MIN(COALESCE(started_at, created_at) + budget_ms) AS budget,
         MIN(CASE WHEN null_streak >= ? THEN COALESCE(attempt_started_at, created_at) + ? END) AS grace
       FROM bg_tasks WHERE status = 'running'`,
      nullTolerance,
      lostGraceMs
    )[0];
    const found = [row?.budget, row?.grace].filter((t): t is number => typeof t === "number");
    return found.length > 0 ? Math.min(...found) : null;
  }

  earliestRunAt(): number | null {
    return (
      this.#sql.rows<{ t: number | null }>(
        "SELECT MIN(run_at) AS t FROM bg_tasks WHERE status = 'scheduled'"
      )[0]?.t ?? null
    );
  }

  /** Scheduled tasks whose time has come join the waiting line. */
  releaseDueScheduled(now: number): number {
    return this.#sql.write(
      "UPDATE bg_tasks SET status = 'waiting' WHERE status = 'scheduled' AND run_at <= ?",
      now
    );
  }

  countRunningInBatch(batchId: string): number {
    return this.#sql.count(
      "SELECT COUNT(*) AS n FROM bg_tasks WHERE batch_id = ? AND status = 'running'",
      batchId
    );
  }

  /** Move a waiting task to running. Guarded: false when it is no longer waiting. */
  markStarted(taskId: string, now: number): boolean {
    return (
      this.#sql.write(
        `UPDATE bg_tasks SET status = 'running', started_at = ?, attempt_started_at = ?
         WHERE id = ? AND status = 'waiting'`,
        now,
        now,
        taskId
      ) > 0
    );
  }

  /**
   * Run the task again under `runId`, attempt n + 1. Guarded on the attempt
   * it replaces, on the task still waiting on a run (running, or given up as
   * lost: the caller checks its budget) and on nobody stopping it: false when
   * another path got there first, so one attempt never gets two successors.
   */
  beginAttempt(
    row: Pick<TaskRow, "id" | "run_id" | "agent" | "attempts">,
    runId: string,
    now: number
  ): boolean {
    return this.#sql.transaction(() => {
      const moved = this.#sql.write(
        `UPDATE bg_tasks SET run_id = ?, attempts = attempts + 1, attempt_started_at = ?,
           confirmed = 0, null_streak = 0, quiet_since = NULL, progress_json = NULL
         WHERE id = ? AND run_id = ? AND stop_reason IS NULL
           AND (status = 'running' OR (status = 'gave_up' AND give_up_reason = 'lost'))`,
        runId,
        now,
        row.id,
        row.run_id
      );
      if (moved === 0) return false;
      this.#sql.write("UPDATE bg_runs SET interrupted_at = ? WHERE run_id = ?", now, row.run_id);
      this.#insertRun(runId, row.id, row.attempts + 1, row.agent, now);
      return true;
    });
  }

  /** A restart cut this run short and it is not run again: nothing waits on it any more. */
  markRunCut(runId: string, now: number): void {
    this.#sql.write(
      "UPDATE bg_runs SET interrupted_at = ? WHERE run_id = ? AND interrupted_at IS NULL",
      now,
      runId
    );
  }

  /** Every child run a task has had, oldest first. */
  runIds(taskId: string): string[] {
    return this.#sql
      .rows<{ run_id: string }>(
        "SELECT run_id FROM bg_runs WHERE task_id = ? ORDER BY attempt",
        taskId
      )
      .map((r) => r.run_id);
  }

  /**
   * Move a task to `to` and open the notice slot that reports it, in one
   * transaction. Guarded on the statuses the move is allowed from: false (and
   * nothing written) when another path got there first.
   */
  settle(
    taskId: string,
    move: { from: readonly TaskStatus[]; to: TaskStatus; slot: TaskNoticeSlot },
    policy: DeliveryPolicy | "callback",
    now: number,
    fields: SettleFields
  ): boolean {
    return this.#sql.transaction(() => {
      const moved = this.#sql.write(
        `UPDATE bg_tasks SET
           status = ?,
           ended_at = ?,
           summary = COALESCE(?, summary),
           output_json = COALESCE(?, output_json),
           error = COALESCE(?, error),
           give_up_reason = COALESCE(?, give_up_reason),
           cancel_reason = COALESCE(?, cancel_reason)
         WHERE id = ? AND status IN (${sqlList(move.from)})`,
        move.to,
        now,
        fields.summary ?? null,
        fields.outputJson ?? null,
        fields.error ?? null,
        fields.giveUpReason ?? null,
        fields.cancelReason ?? null,
        taskId
      );
      if (moved === 0) return false;
      openNotice(this.#sql, { subjectId: taskId, slot: move.slot, status: move.to, policy }, now);
      return true;
    });
  }

  /** Mark that the engine itself is stopping the child, so its abort is not reported as a result. */
  markStopping(taskId: string, reason: StopReason): boolean {
    return (
      this.#sql.write(
        "UPDATE bg_tasks SET stop_reason = ? WHERE id = ? AND status = 'running' AND stop_reason IS NULL",
        reason,
        taskId
      ) > 0
    );
  }

  /** One inspection of the current attempt: `null` (no record yet) or what the child said. */
  recordInspection(
    row: Pick<TaskRow, "id" | "run_id">,
    now: number,
    seen: { progressJson: string | null; quietSince: number | null } | null
  ): void {
    if (seen === null) {
      this.#sql.write(
        `UPDATE bg_tasks SET null_streak = null_streak + 1, inspections = inspections + 1,
           last_inspected_at = ? WHERE id = ? AND run_id = ?`,
        now,
        row.id,
        row.run_id
      );
      return;
    }
    this.#sql.write(
      `UPDATE bg_tasks SET null_streak = 0, confirmed = 1, inspections = inspections + 1,
         last_inspected_at = ?, progress_json = COALESCE(?, progress_json), quiet_since = ?
       WHERE id = ? AND run_id = ?`,
      now,
      seen.progressJson,
      seen.quietSince,
      row.id,
      row.run_id
    );
  }

  /** The run's fast path ended before the run did: from now, it must show signs of life. */
  quietFrom(row: Pick<TaskRow, "id" | "run_id">, now: number): void {
    this.#sql.write(
      "UPDATE bg_tasks SET quiet_since = ? WHERE id = ? AND run_id = ? AND status = 'running'",
      now,
      row.id,
      row.run_id
    );
  }

  /** The child has taken these runs (the SDK recorded it): they need no first look. */
  confirmRuns(runIds: readonly string[]): void {
    if (runIds.length === 0) return;
    this.#sql.write(
      `UPDATE bg_tasks SET confirmed = 1, null_streak = 0
       WHERE status = 'running' AND confirmed = 0 AND run_id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(runIds)
    );
  }

  /** A progress report proves the child has the run. Returns the task's id while it runs. */
  recordProgress(runId: string, progressJson: string): string | null {
    return (
      this.#sql.rows<{ id: string }>(
        `UPDATE bg_tasks SET progress_json = ?, confirmed = 1, null_streak = 0, quiet_since = NULL
         WHERE run_id = ? AND status = 'running' RETURNING id`,
        progressJson,
        runId
      )[0]?.id ?? null
    );
  }
}
