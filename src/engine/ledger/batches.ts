// Batches: SQL over bg_batches, and the close of a batch whose items ended.

import type { BatchRow, TaskRow } from "../rows";
import { ENDED_STATUSES, sqlList } from "../status";
import { openNotice } from "./notices";
import type { Sql } from "./sql";

export class BatchLedger {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  insert(b: BatchRow): void {
    this.#sql.write(
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

  get(id: string): BatchRow | undefined {
    return this.#sql.rows<BatchRow>("SELECT * FROM bg_batches WHERE id = ?", id)[0];
  }

  byKey(key: string): BatchRow | undefined {
    return this.#sql.rows<BatchRow>("SELECT * FROM bg_batches WHERE idempotency_key = ?", key)[0];
  }

  tasks(batchId: string): TaskRow[] {
    return this.#sql.rows<TaskRow>(
      "SELECT * FROM bg_tasks WHERE batch_id = ? ORDER BY created_at, id",
      batchId
    );
  }

  /**
   * Close a batch whose every task has ended, and open its one notice when it
   * delivers "all". Guarded: only the first caller closes it.
   */
  closeIfEnded(batchId: string, now: number): boolean {
    return this.#sql.transaction(() => {
      const open = this.#sql.count(
        `SELECT COUNT(*) AS n FROM bg_tasks WHERE batch_id = ? AND status NOT IN (${sqlList(ENDED_STATUSES)})`,
        batchId
      );
      if (open > 0) return false;
      const closed = this.#sql.rows<{ delivery: string }>(
        "UPDATE bg_batches SET ended_at = ? WHERE id = ? AND ended_at IS NULL RETURNING delivery",
        now,
        batchId
      )[0];
      if (!closed) return false;
      if (closed.delivery === "all") {
        openNotice(
          this.#sql,
          { subjectId: batchId, slot: "batch", status: "ended", policy: "react" },
          now
        );
      }
      return true;
    });
  }
}
