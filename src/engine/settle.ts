// Settlement: how a child run's end becomes a task's outcome. The fast path,
// the SDK's finish hook and the backbone all come here; the outcome is
// confirmed with the child at most once, the task row is read once, and the
// state machine moves it in one guarded write that opens the notice slot.
// A run cut short by a restart is run again under a new attempt instead.

import type { Delivery } from "./delivery";
import type { Dispatcher, Inspection, RunRef, RunSettlement } from "./dispatch";
import { emit } from "./events";
import { type EngineContext, errorText, logError } from "./host";
import { newRunId } from "./keys";
import type { SettleFields } from "./ledger";
import type { TaskRow } from "./rows";
import { decodeDelivery } from "./rows";
import type { GiveUpReason, TaskStatus } from "./status";
import {
  allowedFrom,
  awaitsRun,
  type ChildOutcome,
  isInterruption,
  outcomeOf,
  type TaskEvent,
  transition
} from "./transitions";
import type { CancelResult } from "./types";

/** What settlement asks of the engine around it. */
export type SettlementPorts = {
  /** Keep the backbone armed (`reset` pulls its next tick in). */
  arm(reset: boolean): Promise<void>;
  /** Start what may start now that a task ended; returns how many started. */
  promote(): Promise<number>;
  /** A task ended: retention may prune what ended before it (no wake-up of its own). */
  ended(): void;
};

const OPEN = new Set(["running", "gave_up"]);

export class Settlement {
  readonly #c: EngineContext;
  readonly #dispatcher: Dispatcher;
  readonly #delivery: Delivery;
  readonly #ports: SettlementPorts;
  /** When live runs' children ended, as the SDK's finish hook told (just before their promise settles). */
  readonly #childEnds = new Map<string, number>();
  /**
   * Tasks a `cancel()` call in this instance is stopping: that call settles
   * them and answers for it. Other paths finish only a stop a restart cut
   * short (no call left to finish it).
   */
  readonly #cancelling = new Map<string, Promise<unknown>>();

  constructor(
    context: EngineContext,
    dispatcher: Dispatcher,
    delivery: Delivery,
    ports: SettlementPorts
  ) {
    this.#c = context;
    this.#dispatcher = dispatcher;
    this.#delivery = delivery;
    this.#ports = ports;
  }

  /**
   * The fast path: a run's promise settled. A completed result is the
   * child's own terminal, taken as is; anything else is the parent's view (a
   * child restarted mid-run reads as an error there while it recovers), so it
   * is confirmed with the child.
   */
  async runSettled(ref: RunRef, settlement: RunSettlement): Promise<void> {
    const childEnd = this.#childEnds.get(ref.run_id);
    this.#childEnds.delete(ref.run_id);
    const row = this.#c.ledger.tasks.get(ref.id);
    if (!row || row.run_id !== ref.run_id || !OPEN.has(row.status)) return;
    const reported = outcomeOf(settlement.result);
    if (reported?.kind === "completed") {
      await this.applyOutcome(row, reported, childEnd);
      return;
    }
    const seen = await this.#dispatcher.inspect(row, true);
    let outcome = seen.kind === "seen" ? outcomeOf(seen.run) : null;
    const endedAt = seen.kind === "seen" ? seen.run.completedAt : childEnd;
    // A task given up stays open for its child's own result, and only for that:
    // no record (or the parent's view of an error) says nothing about the run.
    if (!outcome && seen.kind === "none" && awaitsRun(row, Date.now())) {
      // The child has no record of the run: the dispatch itself failed.
      if (settlement.error !== null) {
        // Hand it over again a few times (a child restarted mid-dispatch takes
        // it then). Then a running task fails; one given up as lost said so already.
        if (this.#dispatcher.retryDispatch(row)) return;
        if (row.status === "running") {
          outcome = { kind: "error", error: `dispatch failed: ${errorText(settlement.error)}` };
        }
      } else if (reported?.kind === "error" && row.status === "running") {
        outcome = reported;
      }
    }
    if (outcome) {
      await this.applyOutcome(row, outcome, endedAt);
      return;
    }
    // Not ended yet: the backbone watches it from now (soon), and the run must show signs of life.
    if (seen.kind === "seen") this.#c.ledger.tasks.quietFrom(row, Date.now());
    await this.#ports.arm(true);
  }

  /**
   * The SDK finished a run. A live fast path settles it (this only notes when
   * its child ended). One no fast path follows (the SDK's own start-up
   * recovery) is confirmed with the child and settled after the hook returns:
   * delivery never runs inside the SDK's own finish, which must not wait on a
   * chat.
   */
  sdkFinished(runId: string, completedAt: number | undefined): void {
    if (this.#dispatcher.isLive(runId)) {
      if (completedAt !== undefined) this.#childEnds.set(runId, completedAt);
      return;
    }
    const row = this.#c.ledger.tasks.byRun(runId);
    if (!row || !OPEN.has(row.status)) return;
    this.#c.ctx.waitUntil(
      this.#settleRecovered(row).catch((error: unknown) =>
        logError("settling a run the SDK recovered failed", error)
      )
    );
  }

  async #settleRecovered(row: TaskRow): Promise<void> {
    const seen = await this.#dispatcher.inspect(row, true);
    if (seen.kind !== "seen") return;
    const outcome = outcomeOf(seen.run);
    if (outcome) await this.applyOutcome(row, outcome, seen.run.completedAt);
  }

  /**
   * One backbone look at a task it follows: its outcome if it has one, else
   * the inspection counted (an RPC that failed is not a `null`), and give-up
   * when its budget is spent or its child never reported the run. A task
   * given up as lost is never given up again: its late run is handed over
   * again if its child does not hold it, and followed to its end if it does.
   */
  async watch(row: TaskRow, now: number): Promise<void> {
    // A child without a live fast path here may hold a stale row after a
    // restart: let it reconcile. With one, its own re-attach drives it.
    const live = this.#dispatcher.isLive(row.run_id);
    const late = row.status !== "running";
    const seen: Inspection = await this.#dispatcher.inspect(row, !live);
    const outcome = seen.kind === "seen" ? outcomeOf(seen.run) : null;
    if (outcome) {
      await this.applyOutcome(
        row,
        outcome,
        seen.kind === "seen" ? seen.run.completedAt : undefined
      );
      return;
    }
    const { ledger, options } = this.#c;
    let quietSince: number | null = null;
    if (seen.kind === "seen") {
      const progress = seen.run.progress;
      const progressJson = progress ? JSON.stringify(progress) : null;
      // A run no fast path follows is quiet until its progress moves.
      const moved = progressJson !== null && progressJson !== row.progress_json;
      if (!live) quietSince = moved ? now : (row.quiet_since ?? now);
      ledger.tasks.recordInspection(row, now, { progressJson, quietSince });
      if (progress) this.#c.changed(row.id);
    } else if (seen.kind === "none") {
      ledger.tasks.recordInspection(row, now, null);
      // Idempotent by run id: a child that has the run by now keeps it.
      if (late && !live) this.#dispatcher.attach(row, true);
    }
    if (!late && now >= (row.started_at ?? row.created_at) + row.budget_ms) {
      await this.giveUp(row, "budget");
      return;
    }
    // A task being stopped is the stop's to settle.
    if (
      quietSince !== null &&
      row.stop_reason === null &&
      now - quietSince >= options.stalledRunMs
    ) {
      // The child calls the run running but shows no sign of it (a recovery
      // of its own that never ends leaves it so): cut short, as by a restart.
      const seconds = Math.round((now - quietSince) / 1000);
      const error = `Agent tool run stalled: no sign of life from its child for ${seconds} s after a restart.`;
      await this.#rerunOrFail(row, { kind: "error", error }, true);
      return;
    }
    const attemptStart = row.attempt_started_at ?? row.started_at ?? row.created_at;
    if (
      !late &&
      seen.kind === "none" &&
      row.null_streak + 1 >= options.nullTolerance &&
      now - attemptStart >= options.lostGraceMs
    ) {
      await this.giveUp(row, "lost");
    }
  }

  /** A child's outcome for the task's current attempt; `endedAt` is when the child ended, if known. */
  async applyOutcome(seenRow: TaskRow, outcome: ChildOutcome, endedAt?: number): Promise<void> {
    let row = seenRow;
    if (outcome.kind !== "completed") {
      // `seenRow` was read before the inspection that brought this outcome: a
      // stop (a cancel, a budget) may have begun meanwhile, and this abort be
      // its work. A completed result needs no second read: it wins whatever
      // began since.
      const now = this.#c.ledger.tasks.get(row.id);
      if (!now || now.run_id !== row.run_id || !OPEN.has(now.status)) return;
      row = now;
    }
    // The engine is stopping this task: anything but a real result is its stop
    // (an abort it caused, or a restart that cut the stop short), not an outcome.
    if (row.stop_reason !== null && outcome.kind !== "completed") {
      if (row.status === "running" && !this.#cancelling.has(row.id)) await this.resumeStop(row);
      return;
    }
    if (isInterruption(outcome)) {
      // A restart, not the child's end: the task is run again if it still waits
      // on its run (one given up as lost waits on for a late result).
      if (awaitsRun(row, Date.now())) await this.#rerunOrFail(row, outcome);
      return;
    }
    const max = this.#c.options.maxStoredOutputChars;
    const fields: SettleFields = {};
    if (outcome.kind === "completed") {
      fields.summary = outcome.summary.slice(0, max);
      if (outcome.output !== undefined) {
        const json = JSON.stringify(outcome.output);
        if (json !== undefined && json.length <= max) fields.outputJson = json;
      }
    } else {
      fields.error = (outcome.error ?? "the child run was aborted").slice(0, max);
    }
    await this.apply(
      row,
      { type: "outcome", outcome, stoppedByEngine: row.stop_reason !== null },
      fields,
      endedAt
    );
  }

  /**
   * Apply `event` through the state machine in one guarded write. Returns
   * whether it applied (false when another path got there first).
   */
  async apply(
    row: TaskRow,
    event: TaskEvent,
    fields: SettleFields = {},
    endedAt?: number
  ): Promise<boolean> {
    const { ledger } = this.#c;
    const step = transition(row.status, event);
    if (!step.to || !step.slot) return false;
    // When the child ended, if known (and sane), else now.
    const now = Date.now();
    const at = endedAt !== undefined && endedAt <= now && endedAt >= row.created_at ? endedAt : now;
    const move = { from: allowedFrom(event.type), to: step.to, slot: step.slot };
    if (!ledger.tasks.settle(row.id, move, decodeDelivery(row.delivery).kind, at, fields)) {
      return false;
    }
    this.#c.changed(row.id);
    this.#settled(row, step.to, at, event, fields);
    if (row.batch_id) ledger.batches.closeIfEnded(row.batch_id, now);
    await this.#delivery.flush();
    // A task ending frees a slot or settles a dependency: others may start now.
    if ((await this.#ports.promote()) > 0) await this.#ports.arm(true);
    this.#ports.ended();
    return true;
  }

  #settled(
    row: TaskRow,
    status: TaskStatus,
    at: number,
    event: TaskEvent,
    fields: SettleFields
  ): void {
    const { source } = this.#c;
    emit(source, "background:settled", () => ({
      taskId: row.id,
      status,
      attempts: row.attempts,
      runMs: row.started_at === null ? null : at - row.started_at,
      totalMs: at - row.created_at
    }));
    if (event.type === "give-up") {
      emit(source, "background:gave-up", () => ({
        taskId: row.id,
        reason: fields.giveUpReason ?? "lost"
      }));
    }
    if (event.type === "cancel") {
      emit(source, "background:cancelled", () => ({
        taskId: row.id,
        reason: fields.cancelReason ?? null
      }));
    }
  }

  /**
   * Finish a stop the engine began (a cancel, a budget give-up) that a
   * restart may have cut short: stop the child again (stopping is
   * idempotent), then settle the task as the stop says.
   */
  async resumeStop(row: TaskRow): Promise<void> {
    if (row.stop_reason === "budget") {
      await this.giveUp(row, "budget");
      return;
    }
    await this.#dispatcher.stop(row, "cancelled");
    // A real result that came first still wins.
    const seen = await this.#dispatcher.inspect(row, false);
    const outcome = seen.kind === "seen" ? outcomeOf(seen.run) : null;
    if (
      outcome?.kind === "completed" &&
      (await this.apply(
        row,
        { type: "outcome", outcome, stoppedByEngine: true },
        { summary: outcome.summary.slice(0, this.#c.options.maxStoredOutputChars) }
      ))
    ) {
      return;
    }
    await this.apply(row, { type: "cancel" });
  }

  async giveUp(row: TaskRow, reason: GiveUpReason): Promise<void> {
    if (reason === "budget") {
      // Stopping is idempotent, and repeated after a restart that cut it short.
      this.#c.ledger.tasks.markStopping(row.id, "budget");
      await this.#dispatcher.stop(row, "budget exceeded");
    }
    await this.apply(row, { type: "give-up" }, { giveUpReason: reason });
  }

  /**
   * Stop a task and say honestly what happened: `cancelled` when the child was
   * stopped (or had not started), `already-finished` with the outcome that
   * won, or `not-found`.
   */
  async cancel(taskId: string): Promise<CancelResult> {
    const { ledger } = this.#c;
    const row = ledger.tasks.get(taskId);
    if (!row) return { outcome: "not-found", taskId };
    const under = this.#cancelling.get(taskId);
    if (under) {
      // Another call is stopping it: that call answers `cancelled`, this one what it ended as.
      await under.catch(() => undefined);
    } else if (row.status === "running") {
      const stopping = this.#stopForCancel(row);
      this.#cancelling.set(taskId, stopping);
      try {
        if (await stopping) return { outcome: "cancelled", taskId };
      } finally {
        this.#cancelling.delete(taskId);
      }
    } else if (await this.apply(row, { type: "cancel" })) {
      return { outcome: "cancelled", taskId };
    }
    const now = ledger.tasks.get(taskId);
    return { outcome: "already-finished", taskId, status: now?.status ?? row.status };
  }

  /** Stop a running task's child and settle it cancelled; false when a real outcome came first. */
  async #stopForCancel(row: TaskRow): Promise<boolean> {
    // Marked first: no rerun starts for a task being stopped.
    this.#c.ledger.tasks.markStopping(row.id, "cancel");
    await this.#dispatcher.stop(row, "cancelled");
    // Confirm with the child: it may have finished before the stop reached it.
    const seen = await this.#dispatcher.inspect(row, false);
    const outcome = seen.kind === "seen" ? outcomeOf(seen.run) : null;
    if (outcome && outcome.kind !== "aborted") await this.applyOutcome(row, outcome);
    return this.apply(row, { type: "cancel" });
  }

  /**
   * A restart cut the attempt short. Run the task again under a fresh run id
   * (same task, key and notice slots), unless its policy, its attempts or its
   * budget say otherwise: then a running task fails, saying why, and one
   * given up as lost stays given up (an interruption is not the child's result).
   */
  async #rerunOrFail(
    row: TaskRow,
    outcome: ChildOutcome & { kind: "error" },
    stalled = false
  ): Promise<void> {
    const { options, ledger } = this.#c;
    const now = Date.now();
    if (now >= (row.started_at ?? row.created_at) + row.budget_ms) {
      await this.giveUp(row, "budget");
      return;
    }
    // A stalled run may yet wake: stopped once the task has moved on (a
    // durable write first, so a restart between the two never loses the task).
    const stopCut = async () => {
      if (stalled) await this.#dispatcher.stop(row, "stalled: run again or failed");
    };
    let refusal: string | null = null;
    if (row.rerun === "never") refusal = "reruns are off for this task";
    else if (row.attempts >= options.maxAttempts) {
      refusal = `all ${options.maxAttempts} attempts were used`;
    } else if (row.rerun === "if-untouched" && (await this.#dispatcher.turnBegan(row)) !== false) {
      refusal = "its child had begun its turn, and this task reruns only untouched runs";
    }
    if (refusal !== null) {
      // The run is over, and nothing waits on it any more.
      ledger.tasks.markRunCut(row.run_id, now);
      if (row.status !== "running") return;
      const error = `${outcome.error} (not run again: ${refusal})`;
      if (await this.apply(row, { type: "outcome", outcome, stoppedByEngine: false }, { error })) {
        await stopCut();
      }
      return;
    }
    const runId = newRunId();
    if (!ledger.tasks.beginAttempt(row, runId, now)) return;
    this.#c.changed(row.id);
    await stopCut();
    const attempt = row.attempts + 1;
    emit(this.#c.source, "background:rerun", () => ({
      taskId: row.id,
      runId,
      attempt,
      reason: outcome.error
    }));
    this.#dispatcher.attach({ ...row, run_id: runId }, false, attempt);
    await this.#ports.arm(true);
  }
}
