// Retention's SQL: which ended tasks may be pruned, the summary a pruned task
// leaves behind, and the two transactions that bracket a prune (begin: the
// summary is written and the task marked; finish: its rows are deleted).

import type { PrunedRow, TaskRow } from "../rows";
import { ENDED_STATUSES, sqlList } from "../status";
import type { Sql } from "./sql";

/**
 * An ended task may be pruned when every notice it owes (and its batch's)
 * is delivered, its batch (if any) has ended, and no task waiting to start
 * depends on it. Failed notices hold a task back until they are delivered.
 */
const PRUNABLE = `
  t.ended_at IS NOT NULL AND t.pruning_at IS NULL
  AND t.status IN (${sqlList(ENDED_STATUSES)})
  AND NOT EXISTS (SELECT 1 FROM bg_notices n WHERE n.task_id = t.id AND n.delivered_at IS NULL)
  AND (t.batch_id IS NULL OR EXISTS (
    SELECT 1 FROM bg_batches b WHERE b.id = t.batch_id AND b.ended_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM bg_notices bn WHERE bn.task_id = b.id AND bn.delivered_at IS NULL)))
  AND NOT EXISTS (
    SELECT 1 FROM bg_tasks w WHERE w.status IN ('scheduled', 'waiting')
      AND w.after_json LIKE '%"' || t.id || '"%')`;

export class PrunedLedger {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Prunable tasks that ended at or before `endedBy`, oldest first. */
  prunable(endedBy: number, limit: number): TaskRow[] {
    if (limit <= 0) return [];
    return this.#sql.rows<TaskRow>(
      `SELECT t.* FROM bg_tasks t WHERE ${PRUNABLE} AND t.ended_at <= ?
       ORDER BY t.ended_at, t.id LIMIT ?`,
      endedBy,
      limit
    );
  }

  /** When the oldest prunable task ended (an index walk from the oldest, not a scan). */
  oldestPrunable(): number | null {
    return (
      this.#sql.rows<{ ended_at: number }>(
        `SELECT t.ended_at FROM bg_tasks t WHERE ${PRUNABLE} ORDER BY t.ended_at LIMIT 1`
      )[0]?.ended_at ?? null
    );
  }

  /** Ended tasks kept whole (not being pruned). */
  endedCount(): number {
    return this.#sql.count(
      "SELECT COUNT(*) AS n FROM bg_tasks WHERE ended_at IS NOT NULL AND pruning_at IS NULL"
    );
  }

  /** Ended tasks past `endedBy` held back by failed notices that were not yet retried for pruning. */
  heldByFailedNotices(endedBy: number, limit: number): string[] {
    return this.#sql
      .rows<{ id: string }>(
        `SELECT DISTINCT t.id FROM bg_notices n JOIN bg_tasks t ON t.id = n.task_id
         WHERE n.failed_at IS NOT NULL AND n.delivered_at IS NULL
           AND t.ended_at IS NOT NULL AND t.ended_at <= ? AND t.pruning_at IS NULL
           AND t.prune_requeued = 0
         ORDER BY t.ended_at LIMIT ?`,
        endedBy,
        limit
      )
      .map((r) => r.id);
  }

  /** When the oldest task held back by failed notices (not yet retried for pruning) ended. */
  oldestHeldByFailedNotices(): number | null {
    // Driven by the failed notices (an index of few rows), not by the tasks.
    return (
      this.#sql.rows<{ t: number | null }>(
        `SELECT MIN(t.ended_at) AS t FROM bg_notices n JOIN bg_tasks t ON t.id = n.task_id
         WHERE n.failed_at IS NOT NULL AND n.delivered_at IS NULL
           AND t.ended_at IS NOT NULL AND t.pruning_at IS NULL AND t.prune_requeued = 0`
      )[0]?.t ?? null
    );
  }

  markRequeuedForPrune(taskId: string): void {
    this.#sql.write("UPDATE bg_tasks SET prune_requeued = 1 WHERE id = ?", taskId);
  }

  /**
   * Step one of a prune, in one transaction: the summary is written (taking
   * over the idempotency key) and the task marked. From here on the task
   * reads as pruned, and a restart resumes the prune where it stopped.
   * False when the task is gone or already being pruned.
   */
  begin(row: TaskRow, outcome: string | null, now: number): boolean {
    return this.#sql.transaction(() => {
      const marked = this.#sql.write(
        `UPDATE bg_tasks SET pruning_at = ?, idempotency_key = NULL
         WHERE id = ? AND pruning_at IS NULL AND ended_at IS NOT NULL`,
        now,
        row.id
      );
      if (marked === 0) return false;
      this.#sql.write(
        `INSERT OR REPLACE INTO bg_pruned (id, agent, title, status, give_up_reason, outcome,
           idempotency_key, batch_id, attempts, created_at, started_at, ended_at, pruned_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id,
        row.agent,
        row.title,
        row.status,
        row.give_up_reason,
        outcome,
        row.idempotency_key,
        row.batch_id,
        row.attempts,
        row.created_at,
        row.started_at,
        row.ended_at,
        now
      );
      return true;
    });
  }

  /** Tasks whose prune began and did not finish (a restart cut it short). */
  inProgress(limit: number): TaskRow[] {
    return this.#sql.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE pruning_at IS NOT NULL ORDER BY pruning_at LIMIT ?",
      limit
    );
  }

  /** Notice submissions a task's rows still name (to delete with it). */
  submissionIds(taskId: string): string[] {
    return this.#sql
      .rows<{ submission_id: string }>(
        `SELECT DISTINCT submission_id FROM bg_notices
         WHERE task_id = ? AND submission_id IS NOT NULL`,
        taskId
      )
      .map((r) => r.submission_id);
  }

  /**
   * Step two, in one transaction: the task's rows go, and its batch's once
   * the batch has no task left.
   */
  finish(taskId: string, batchId: string | null): void {
    this.#sql.transaction(() => {
      this.#sql.write("DELETE FROM bg_notices WHERE task_id = ?", taskId);
      this.#sql.write("DELETE FROM bg_runs WHERE task_id = ?", taskId);
      this.#sql.write("DELETE FROM bg_tasks WHERE id = ?", taskId);
      if (
        batchId !== null &&
        this.#sql.count("SELECT COUNT(*) AS n FROM bg_tasks WHERE batch_id = ?", batchId) === 0
      ) {
        this.#sql.write("DELETE FROM bg_notices WHERE task_id = ?", batchId);
        this.#sql.write("DELETE FROM bg_batches WHERE id = ?", batchId);
      }
    });
  }

  summary(id: string): PrunedRow | undefined {
    return this.#sql.rows<PrunedRow>("SELECT * FROM bg_pruned WHERE id = ?", id)[0];
  }

  summaries(ids: readonly string[]): Map<string, PrunedRow> {
    if (ids.length === 0) return new Map();
    const rows = this.#sql.rows<PrunedRow>(
      `SELECT * FROM bg_pruned WHERE id IN (${ids.map(() => "?").join(", ")})`,
      ...ids
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  summaryByKey(key: string): PrunedRow | undefined {
    return this.#sql.rows<PrunedRow>("SELECT * FROM bg_pruned WHERE idempotency_key = ?", key)[0];
  }

  /** A key past its window no longer dedupes: it is released wherever it is held. */
  releaseKey(key: string): void {
    this.#sql.write("UPDATE bg_tasks SET idempotency_key = NULL WHERE idempotency_key = ?", key);
    this.#sql.write("UPDATE bg_pruned SET idempotency_key = NULL WHERE idempotency_key = ?", key);
    this.#sql.write("UPDATE bg_batches SET idempotency_key = NULL WHERE idempotency_key = ?", key);
  }

  /** Keep at most `max` summaries: the oldest pruned go first. Returns how many went. */
  trimSummaries(max: number): number {
    const over = this.#sql.count("SELECT COUNT(*) AS n FROM bg_pruned") - max;
    if (over <= 0) return 0;
    this.#sql.write(
      `DELETE FROM bg_pruned WHERE id IN (
         SELECT id FROM bg_pruned ORDER BY pruned_at, ended_at, id LIMIT ?)`,
      over
    );
    return over;
  }
}
