// The backbone: one scheduled job per parent, armed while anything is
// running, owed or scheduled, and none otherwise. It decides when the next
// tick is; the engine decides what a tick does.

import { cadenceDelayMs, nextTickAt } from "./cadence";
import { BACKBONE_CALLBACK, type EngineContext, logError } from "./host";

export class Backbone {
  readonly #c: EngineContext;
  /** The armed job: undefined until read from storage in this instance. */
  #armed: { id: string; at: number } | null | undefined = undefined;
  #arming: Promise<void> = Promise.resolve();

  constructor(context: EngineContext) {
    this.#c = context;
  }

  /** The armed job has fired and is being consumed. */
  consumed(): void {
    this.#armed = null;
  }

  /**
   * Keep exactly one job armed while work remains, none otherwise. `reset` (a
   * new dispatch) pulls the next tick in to the fast end of the cadence and
   * checks that the job still exists. Serialized, so callers never arm two.
   */
  arm(opts: { reset: boolean; step?: number }): Promise<void> {
    const run = this.#arming.then(() => this.#armNow(opts));
    this.#arming = run.catch((error: unknown) => logError("arming the backbone failed", error));
    return run;
  }

  async #armNow(opts: { reset: boolean; step?: number }): Promise<void> {
    const { host, ledger, options } = this.#c;
    if (this.#armed === undefined) this.#armed = await this.#readArmed();
    if (opts.reset && this.#armed && !(await host.getScheduleById(this.#armed.id))) {
      this.#armed = null; // cancelled behind our back: armed again below
    }
    const watching = ledger.countRunning() > 0 || ledger.countUndelivered() > 0;
    const runAt = ledger.earliestRunAt();
    if (!watching && runAt === null) {
      if (this.#armed) {
        await host.cancelSchedule(this.#armed.id);
        this.#armed = null;
      }
      return;
    }
    const step = opts.reset ? 0 : (opts.step ?? 0);
    const now = Date.now();
    const cadence = {
      minMs: options.pollMinMs,
      maxMs: options.pollMaxMs,
      factor: options.pollFactor
    };
    // Scheduled tasks alone need no polling: only their start time.
    const delay = watching ? cadenceDelayMs(cadence, step) : Number.POSITIVE_INFINITY;
    const deadlines = this.#deadlines();
    if (runAt !== null) deadlines.push(runAt);
    const at = nextTickAt(now, delay, deadlines);
    // An armed job that fires no later than wanted is kept: one job, never two.
    if (this.#armed && this.#armed.at <= at) return;
    if (this.#armed) await host.cancelSchedule(this.#armed.id);
    const job = await host.schedule(new Date(at), BACKBONE_CALLBACK, { step });
    this.#armed = { id: job.id, at };
  }

  /** Deadlines the next tick must not sleep past: budgets, lost-grace ends, lapsing claims. */
  #deadlines(): number[] {
    const { ledger, options } = this.#c;
    const deadlines: number[] = [];
    for (const row of ledger.running()) {
      const started = row.started_at ?? row.created_at;
      deadlines.push(started + row.budget_ms);
      // Nulls alone never hurry the cadence; only a task that has used up its
      // tolerance and waits out the grace time has a deadline.
      if (row.null_streak >= options.nullTolerance) deadlines.push(started + options.lostGraceMs);
    }
    const lease = ledger.earliestLeaseEnd();
    if (lease !== null) deadlines.push(lease + 1);
    return deadlines;
  }

  /** The backbone jobs in storage (first use after a start): keep the earliest. */
  async #readArmed(): Promise<{ id: string; at: number } | null> {
    const { host } = this.#c;
    const jobs = (await host.listSchedules())
      .filter((job) => job.callback === BACKBONE_CALLBACK)
      .sort((a, b) => a.time - b.time);
    for (const extra of jobs.slice(1)) await host.cancelSchedule(extra.id);
    const first = jobs[0];
    return first ? { id: first.id, at: first.time * 1000 } : null;
  }
}
