// Retention: ended tasks are pruned after `retainEndedMs` (or beyond
// `maxEndedTasks`), so a parent's storage stays bounded. Pruning a task
// removes its rows, every child agent it ran (with the child's storage), the
// SDK's run rows and its notice submissions, and leaves a small summary.
//
// A prune is two transactions with the deletions between them: first the
// summary is written and the task marked (it reads as pruned from then on),
// then children and records are removed (each step idempotent), then its
// rows. A restart anywhere resumes the prune from the mark; nothing is left
// half-removed.

import type { Dispatcher } from "./dispatch";
import { emit } from "./events";
import { type EngineContext, logError } from "./host";
import { outcomeText } from "./notice";
import { type TaskRow, toTask } from "./rows";
import { isEnded } from "./status";
import type { ForgetResult, PruneResult } from "./types";

/** How much later than the first task is due a sweep waits: a tenth of the retention, at most an hour. */
export function sweepSlack(retainEndedMs: number): number {
  return Math.min(retainEndedMs / 10, 60 * 60 * 1000);
}

/** Tasks pruned per batch of a sweep, and the time one sweep may take; more is left to the next, which comes at once. */
const PRUNES_PER_BATCH = 50;
const SWEEP_MS = 500;
/**
 * While tasks end, the object is awake anyway: a short sweep runs then too,
 * at most once a second, so pruning keeps pace with a steady stream of tasks
 * even when the backbone's ticks come far apart (with many children running,
 * each alarm first waits on the SDK's own scan of them).
 */
const SOON_EVERY_MS = 1000;
const SOON_SWEEP_MS = 200;
const OUTCOME_CHARS = 400;

function outcomeExcerpt(row: TaskRow): string | null {
  return outcomeText(toTask(row, []))?.slice(0, OUTCOME_CHARS) ?? null;
}

export class Retention {
  readonly #c: EngineContext;
  readonly #dispatcher: Dispatcher;
  /** The sweep under way: one at a time, whoever asked for it. */
  #sweeping: Promise<void> | null = null;
  #lastSoon = 0;

  constructor(context: EngineContext, dispatcher: Dispatcher) {
    this.#c = context;
    this.#dispatcher = dispatcher;
  }

  /**
   * One bounded pass (see `#sweepNow`). A sweep already under way is joined,
   * not doubled: two would prune the same tasks side by side.
   */
  sweep(now: number, budgetMs = SWEEP_MS): Promise<void> {
    if (this.#sweeping) return this.#sweeping;
    const run = this.#sweepNow(now, budgetMs).finally(() => {
      this.#sweeping = null;
    });
    this.#sweeping = run;
    return run;
  }

  /** A task just ended: a short sweep, if retention has work and none ran this second. */
  sweepSoon(): void {
    const now = Date.now();
    if (this.#sweeping || now - this.#lastSoon < SOON_EVERY_MS) return;
    this.#lastSoon = now;
    const due = this.nextDue(now);
    if (due === null || due > now) return;
    this.#c.ctx.waitUntil(
      this.sweep(now, SOON_SWEEP_MS).catch((error: unknown) => logError("a sweep failed", error))
    );
  }

  /**
   * Finish prunes a restart cut short, put failed notices of tasks due for
   * pruning back in line once (a notice is never pruned undelivered), prune
   * what is due within `budgetMs`, and trim the summaries.
   */
  async #sweepNow(now: number, budgetMs: number): Promise<void> {
    const { ledger, options } = this.#c;
    const until = Date.now() + budgetMs;
    for (const row of ledger.pruned.inProgress(PRUNES_PER_BATCH)) await this.#finish(row);
    const endedBy = now - options.retainEndedMs;
    for (const taskId of ledger.pruned.heldByFailedNotices(endedBy, PRUNES_PER_BATCH)) {
      ledger.pruned.markRequeuedForPrune(taskId);
      if (ledger.notices.requeueFailed(taskId) > 0) this.#c.changed(taskId);
    }
    while (Date.now() < until) {
      const over = Math.max(0, ledger.pruned.endedCount() - options.maxEndedTasks);
      const batch =
        over > 0
          ? ledger.pruned.prunable(Number.POSITIVE_INFINITY, Math.min(over, PRUNES_PER_BATCH))
          : Number.isFinite(endedBy)
            ? ledger.pruned.prunable(endedBy, PRUNES_PER_BATCH)
            : [];
      if (batch.length === 0) break;
      for (const row of batch) await this.#prune(row, now);
    }
    ledger.pruned.trimSummaries(options.maxPrunedSummaries);
  }

  /**
   * When the next sweep has work, or null when none will (no idle wake-up is
   * armed). Index walks only: arming asks it often.
   */
  nextDue(now: number): number | null {
    const { ledger, options } = this.#c;
    if (ledger.pruned.inProgress(1).length > 0) return now;
    if (ledger.pruned.endedCount() > options.maxEndedTasks) {
      // Only what can be pruned counts: a sweep for nothing would wake the object for nothing.
      if (ledger.pruned.oldestPrunable() !== null) return now;
    }
    if (!Number.isFinite(options.retainEndedMs)) return null;
    // The oldest task that will be due: prunable, or held by a failed notice
    // that is retried once when its task is due. A little later than that,
    // so one sweep takes the tasks that end close together.
    const ended = [ledger.pruned.oldestPrunable(), ledger.pruned.oldestHeldByFailedNotices()];
    const oldest = ended.filter((t): t is number => t !== null);
    if (oldest.length === 0) return null;
    return Math.min(...oldest) + options.retainEndedMs + sweepSlack(options.retainEndedMs);
  }

  /** Prune one ended task now. A running task, or one still held (notices owed, a dependant or batch open), is not. */
  async forget(taskId: string): Promise<ForgetResult> {
    const { ledger } = this.#c;
    const row = ledger.tasks.get(taskId);
    if (!row) {
      return ledger.pruned.summary(taskId)
        ? { taskId, forgotten: true }
        : { taskId, forgotten: false, reason: "not-found" };
    }
    if (row.pruning_at !== null) {
      await this.#finish(row);
      return { taskId, forgotten: true };
    }
    if (!isEnded(row.status)) return { taskId, forgotten: false, reason: "not-ended" };
    const prunable = ledger.pruned.prunable(Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER);
    if (!prunable.some((t) => t.id === taskId)) return { taskId, forgotten: false, reason: "held" };
    await this.#prune(row, Date.now());
    return { taskId, forgotten: true };
  }

  /** Prune every prunable task that ended before `olderThan` (epoch ms). */
  async pruneEndedBefore(olderThan: number): Promise<PruneResult> {
    let pruned = 0;
    for (;;) {
      const batch = this.#c.ledger.pruned.prunable(olderThan - 1, PRUNES_PER_BATCH);
      if (batch.length === 0) break;
      for (const row of batch) {
        if (await this.#prune(row, Date.now())) pruned++;
      }
    }
    this.#c.ledger.pruned.trimSummaries(this.#c.options.maxPrunedSummaries);
    return { pruned };
  }

  async #prune(row: TaskRow, now: number): Promise<boolean> {
    if (!this.#c.ledger.pruned.begin(row, outcomeExcerpt(row), now)) return false;
    this.#c.changed(row.id);
    await this.#finish(row);
    emit(this.#c.source, "background:pruned", () => ({
      taskId: row.id,
      status: row.status,
      attempts: row.attempts
    }));
    return true;
  }

  /** Remove a marked task's children, records and rows. Every step may run twice. */
  async #finish(row: TaskRow): Promise<void> {
    const { ledger, host } = this.#c;
    try {
      const runIds = ledger.tasks.runIds(row.id);
      for (const runId of runIds) await this.#dispatcher.deleteChild(row.agent, runId);
      host.forgetRuns(runIds);
      if (host.chat) {
        for (const id of ledger.pruned.submissionIds(row.id)) await host.chat.forget(id);
      }
      ledger.pruned.finish(row.id, row.batch_id);
    } catch (error) {
      // Left marked: the next sweep finishes it.
      logError(`pruning ${row.id} failed; the next sweep finishes it`, error);
    }
  }
}
