// Notice slots: SQL over bg_notices. A slot is opened once, claimed with a
// compare-and-set plus a lease, sent, and marked delivered; or, after its
// last attempt, marked failed until an app retries it by hand.
//
// The invariant behind exactly-once: a notice is sent only by the attempt
// that holds its claim, in the delivery (group) it was given once and for
// all, through a call idempotent on that group's own key; then it is marked
// delivered. A crash anywhere in between is repaired by the next attempt,
// which repeats the same idempotent call.

import type { NoticeRow } from "../rows";
import type { DeliveryPolicy, NoticeSlot, NoticeStatus } from "../status";
import type { Sql } from "./sql";

export type NoticeOpening = {
  subjectId: string;
  slot: NoticeSlot;
  status: NoticeStatus;
  policy: DeliveryPolicy | "callback";
};

/** Which notices a delivery outcome applies to: one slot, or every member of a group. */
export type NoticeTarget = { subjectId: string; slot: NoticeSlot } | { groupId: string };

/** Undelivered, not failed, and free to take now. */
const FREE =
  "delivered_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)";

/**
 * Open a slot. INSERT OR IGNORE: a slot, once opened, is never reopened or
 * rewritten. A silent notice opens delivered: there is nothing to send.
 */
export function openNotice(sql: Sql, n: NoticeOpening, now: number): void {
  sql.write(
    `INSERT OR IGNORE INTO bg_notices (task_id, slot, status, policy, created_at, delivered_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    n.subjectId,
    n.slot,
    n.status,
    n.policy,
    now,
    n.policy === "silent" ? now : null
  );
}

function where(target: NoticeTarget): { clause: string; bindings: SqlStorageValue[] } {
  return "groupId" in target
    ? { clause: "group_id = ?", bindings: [target.groupId] }
    : { clause: "task_id = ? AND slot = ?", bindings: [target.subjectId, target.slot] };
}

export class NoticeLedger {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  of(subjectId: string): NoticeRow[] {
    return this.#sql.rows<NoticeRow>(
      "SELECT * FROM bg_notices WHERE task_id = ? ORDER BY created_at",
      subjectId
    );
  }

  /** The notices of several subjects in one query, by subject. */
  ofMany(subjectIds: readonly string[]): Map<string, NoticeRow[]> {
    const bySubject = new Map<string, NoticeRow[]>();
    if (subjectIds.length === 0) return bySubject;
    const rows = this.#sql.rows<NoticeRow>(
      `SELECT * FROM bg_notices WHERE task_id IN (${subjectIds.map(() => "?").join(", ")})
       ORDER BY created_at`,
      ...subjectIds
    );
    for (const row of rows) {
      const list = bySubject.get(row.task_id) ?? [];
      list.push(row);
      bySubject.set(row.task_id, list);
    }
    return bySubject;
  }

  /** Notices of these policies owed and free to take now, oldest first, at most `limit`. */
  owed(
    now: number,
    policies: readonly (DeliveryPolicy | "callback")[],
    limit: number
  ): NoticeRow[] {
    if (policies.length === 0) return [];
    return this.#sql.rows<NoticeRow>(
      `SELECT * FROM bg_notices
       WHERE policy IN (${policies.map(() => "?").join(", ")}) AND ${FREE}
       ORDER BY created_at, task_id LIMIT ?`,
      ...policies,
      now,
      limit
    );
  }

  /** Whether a notice that starts a turn (alone or in a group) is owed and free now. */
  hasOwedTurn(now: number): boolean {
    return (
      this.#sql.count(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM bg_notices
         WHERE policy IN ('react', 'digest') AND ${FREE} LIMIT 1)`,
        now
      ) > 0
    );
  }

  /** Notices that start a turn free to go now, counted up to `limit`. */
  countOwedTurn(now: number, limit: number): number {
    return this.#sql.count(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM bg_notices
       WHERE policy IN ('react', 'digest') AND ${FREE} LIMIT ?)`,
      now,
      limit
    );
  }

  /** Notices still owed (held, backing off or free); failed ones are not. */
  countOwed(): number {
    return this.#sql.count(
      "SELECT COUNT(*) AS n FROM bg_notices WHERE delivered_at IS NULL AND failed_at IS NULL"
    );
  }

  /** When the next held claim or backoff ends, so the backbone can come back for it. */
  earliestRetry(): number | null {
    return (
      this.#sql.rows<{ t: number | null }>(
        `SELECT MIN(claimed_until) AS t FROM bg_notices
         WHERE delivered_at IS NULL AND failed_at IS NULL`
      )[0]?.t ?? null
    );
  }

  /**
   * Claim one slot with a lease. Only one caller can hold an undelivered
   * slot at a time; the lease lets a later attempt take over from a claimer
   * that died. Returns the attempt number to the single winner, else null.
   */
  claimOne(
    subjectId: string,
    slot: NoticeSlot,
    now: number,
    leaseMs: number,
    owner: string
  ): number | null {
    return (
      this.#sql.rows<{ attempts: number }>(
        `UPDATE bg_notices SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1
         WHERE task_id = ? AND slot = ? AND ${FREE} RETURNING attempts`,
        now + leaseMs,
        owner,
        subjectId,
        slot,
        now
      )[0]?.attempts ?? null
    );
  }

  /**
   * Claim the next delivery of chat notices that start a turn (react and
   * digest): a group cut short earlier (a crash or a failed attempt) first,
   * with exactly its members; else up to `max` free notices, oldest first,
   * fixed as a new group. Returns the group and its members, or null.
   */
  claimGroup(
    now: number,
    leaseMs: number,
    owner: string,
    newId: string,
    max: number
  ): { groupId: string; members: NoticeRow[] } | null {
    return this.#sql.transaction(() => {
      const unfinished = this.#sql.rows<{ group_id: string }>(
        `SELECT group_id FROM bg_notices WHERE group_id IS NOT NULL AND ${FREE}
         ORDER BY created_at LIMIT 1`,
        now
      )[0]?.group_id;
      const groupId = unfinished ?? newId;
      const members = unfinished
        ? this.#sql.rows<NoticeRow>(
            `UPDATE bg_notices SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1
             WHERE group_id = ? AND ${FREE} RETURNING *`,
            now + leaseMs,
            owner,
            groupId,
            now
          )
        : this.#sql.rows<NoticeRow>(
            `UPDATE bg_notices SET group_id = ?, claimed_until = ?, claimed_by = ?,
               attempts = attempts + 1
             WHERE rowid IN (
               SELECT rowid FROM bg_notices
               WHERE policy IN ('react', 'digest') AND group_id IS NULL AND ${FREE}
               ORDER BY created_at, task_id LIMIT ?)
             RETURNING *`,
            groupId,
            now + leaseMs,
            owner,
            now,
            max
          );
      if (members.length === 0) return null;
      members.sort((a, b) => a.created_at - b.created_at || a.task_id.localeCompare(b.task_id));
      return { groupId, members };
    });
  }

  /** The slot (or group) is delivered: no attempt will take it again. */
  markDelivered(target: NoticeTarget, now: number, submissionId: string | null): void {
    const { clause, bindings } = where(target);
    this.#sql.write(
      `UPDATE bg_notices SET delivered_at = ?, submission_id = ?, claimed_until = NULL,
         claimed_by = NULL, last_error = NULL
       WHERE ${clause} AND delivered_at IS NULL`,
      now,
      submissionId,
      ...bindings
    );
  }

  /**
   * An attempt failed. With `retryAt`, the claim is given up and the notice
   * backs off until then; without, it is failed for good (until retried by
   * hand). Says why either way.
   */
  recordFailure(target: NoticeTarget, error: string, now: number, retryAt: number | null): void {
    const { clause, bindings } = where(target);
    this.#sql.write(
      `UPDATE bg_notices SET last_error = ?, claimed_by = NULL, claimed_until = ?, failed_at = ?
       WHERE ${clause} AND delivered_at IS NULL`,
      error.slice(0, 1000),
      retryAt,
      retryAt === null ? now : null,
      ...bindings
    );
  }

  /**
   * On start-up: a Durable Object has one live instance, so a claim held by
   * another instance belongs to one that is gone. Release those so delivery
   * resumes at once instead of after the lease.
   */
  releaseClaimsNotOwnedBy(owner: string): void {
    this.#sql.write(
      `UPDATE bg_notices SET claimed_until = NULL, claimed_by = NULL
       WHERE delivered_at IS NULL AND claimed_by IS NOT NULL AND claimed_by != ?`,
      owner
    );
  }

  /**
   * Put a subject's failed notices back in line, with fresh attempts. A
   * failed notice that went out in a group takes its whole group back: a
   * group is resent as it was, under its own key, or never.
   */
  requeueFailed(subjectId: string): number {
    // Counted by RETURNING: rowsWritten would count index writes too.
    return this.#sql.rows(
      `UPDATE bg_notices SET failed_at = NULL, attempts = 0, claimed_until = NULL, claimed_by = NULL
       WHERE failed_at IS NOT NULL AND delivered_at IS NULL AND (
         task_id = ? OR group_id IN (
           SELECT group_id FROM bg_notices
           WHERE task_id = ? AND failed_at IS NOT NULL AND group_id IS NOT NULL))
       RETURNING task_id`,
      subjectId,
      subjectId
    ).length;
  }
}
