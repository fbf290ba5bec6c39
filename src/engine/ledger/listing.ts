// Pages of tasks, whole and pruned alike, for list(): SQL only.

import type { TaskRow } from "../rows";
import { sqlList, type TaskStatus } from "../status";
import type { Sql } from "./sql";

/** One entry of a page of tasks: whole (`pruned: 0`) or a summary. */
export type ListRef = { id: string; created_at: number; pruned: 0 | 1 };

export class Listing {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * A page of tasks, newest first, whole and pruned alike, optionally by
   * status, after a (created_at, id) cursor. A task being pruned reads as
   * pruned (its summary exists from the prune's first step).
   */
  page(opts: {
    statuses: readonly TaskStatus[] | null;
    limit: number;
    before: { createdAt: number; id: string } | null;
  }): ListRef[] {
    const where: string[] = [];
    const bindings: SqlStorageValue[] = [];
    if (opts.statuses) where.push(`status IN (${sqlList(opts.statuses)})`);
    if (opts.before) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      bindings.push(opts.before.createdAt, opts.before.createdAt, opts.before.id);
    }
    const and = where.length > 0 ? `AND ${where.join(" AND ")}` : "";
    return this.#sql.rows<ListRef>(
      `SELECT id, created_at, 0 AS pruned FROM bg_tasks WHERE pruning_at IS NULL ${and}
       UNION ALL
       SELECT id, created_at, 1 AS pruned FROM bg_pruned WHERE 1 = 1 ${and}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      ...bindings,
      ...bindings,
      opts.limit
    );
  }

  /** Several tasks by id, in one query. */
  tasks(ids: readonly string[]): Map<string, TaskRow> {
    if (ids.length === 0) return new Map();
    const rows = this.#sql.rows<TaskRow>(
      `SELECT * FROM bg_tasks WHERE id IN (${ids.map(() => "?").join(", ")})`,
      ...ids
    );
    return new Map(rows.map((r) => [r.id, r]));
  }
}
