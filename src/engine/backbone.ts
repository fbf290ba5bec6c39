// The backbone: one scheduled job per parent, armed while anything is
// followed (running, or given up as lost and still waiting on its late
// run), owed or scheduled, and none otherwise; and what one tick does.
// A tick inspects only the runs no live fast path follows (or whose child
// has not yet taken them, as far as the SDK's own registry shows, or whose
// budget is due), a few at a time, so its cost does not grow with the runs
// the fast path already covers.

import { cadenceDelayMs, nextTickAt } from "./cadence";
import { emit } from "./events";
import { BACKBONE_CALLBACK, type EngineContext, logError } from "./host";
import type { TaskRow } from "./rows";
import { awaitsRun } from "./transitions";

/** What a tick asks of the engine around it. */
export type TickPorts = {
  isLive(runId: string): boolean;
  watch(row: TaskRow, now: number): Promise<void>;
  promote(): Promise<number>;
  flush(): Promise<void>;
  /** Prune what retention says is due. */
  sweep(now: number): Promise<void>;
};

/** Inspections in flight at once during a tick, and the time a tick may spend on them. */
const TICK_CONCURRENCY = 8;
const TICK_INSPECT_MS = 1000;
/** The most a live run waits for its first inspection (see `firstLookMs`). */
const MAX_FIRST_LOOK_MS = 10_000;

export class Backbone {
  readonly #c: EngineContext;
  /** When retention next has work, or null. */
  readonly #nextSweep: (now: number) => number | null;
  /** The armed job: undefined until read from storage in this instance. */
  #armed: { id: string; at: number } | null | undefined = undefined;
  /** Where the cadence stands: ticks that found nothing new slow it down. */
  #step = 0;
  #arming: Promise<void> = Promise.resolve();

  constructor(context: EngineContext, nextSweep: (now: number) => number | null) {
    this.#c = context;
    this.#nextSweep = nextSweep;
  }

  /**
   * Inspect what needs it, start what is due, deliver what is owed, and arm
   * the next tick. Runs inside the alarm handler (beside the chat's own
   * queue), so its inspections run a few at a time, each bounded.
   */
  async tick(payload: { step?: number } | undefined, ports: TickPorts): Promise<void> {
    this.#armed = null; // the armed job has fired
    const { ledger, options } = this.#c;
    const now = Date.now();
    const followed = ledger.tasks.followedRefs(now);
    const running = followed.filter((ref) => ref.status === "running");
    // A run its fast path follows needs a look only to learn that its child
    // has it (a child that never takes it is given up as lost). The SDK's own
    // registry says so for most, with no call into a child: only the rest are
    // asked, and not before that look could count toward a loss. A late run
    // (its task given up already) is looked at only when no fast path follows it.
    const taken = new Set(
      this.#c.host.runsTaken(
        running
          .filter((ref) => ref.confirmed === 0 && ports.isLive(ref.run_id))
          .map((r) => r.run_id)
      )
    );
    ledger.tasks.confirmRuns([...taken]);
    const firstLookMs = Math.min(options.lostGraceMs / options.nullTolerance, MAX_FIRST_LOOK_MS);
    const due = followed.filter(
      (ref) =>
        !ports.isLive(ref.run_id) ||
        (ref.status === "running" &&
          (ref.budget_at <= now ||
            (ref.confirmed === 0 &&
              !taken.has(ref.run_id) &&
              now - ref.attempt_started_at >= firstLookMs)))
    );
    const until = now + TICK_INSPECT_MS;
    let next = 0;
    let inspected = 0;
    const worker = async () => {
      for (let i = next++; i < due.length && Date.now() < until; i = next++) {
        const ref = due[i];
        inspected++;
        const row = ref ? ledger.tasks.get(ref.id) : undefined;
        if (!row || !awaitsRun(row, now)) continue;
        await ports
          .watch(row, now)
          .catch((error: unknown) => logError(`inspecting ${row.id} failed`, error));
      }
    };
    await Promise.all(Array.from({ length: Math.min(TICK_CONCURRENCY, due.length) }, worker));
    const started = await ports.promote();
    await ports.flush();
    await ports.sweep(now);
    emit(this.#c.source, "background:tick", () => ({
      running: running.length,
      late: followed.length - running.length,
      inspected,
      owed: ledger.notices.countOwed(),
      ms: Date.now() - now
    }));
    const step = typeof payload?.step === "number" ? payload.step + 1 : 1;
    // Inspections the time ran out for are the next tick's, soon.
    await this.arm({ reset: started > 0 || inspected < due.length, step });
  }

  /**
   * Keep exactly one job armed while work remains, none otherwise. `reset` (a
   * new dispatch) pulls the next tick in to the fast end of the cadence and
   * checks that the job still exists; any other arm keeps the cadence where
   * it stands (a delivery, an outcome: every tick wakes the whole object, so
   * a busy parent is not polled faster for being busy). Serialized, so
   * callers never arm two.
   */
  arm(opts: { reset: boolean; step?: number }): Promise<void> {
    const run = this.#arming.then(() => this.#armNow(opts));
    this.#arming = run.catch((error: unknown) => logError("arming the backbone failed", error));
    return run;
  }

  async #armNow(opts: { reset: boolean; step?: number }): Promise<void> {
    const { host, ledger, options } = this.#c;
    if (this.#armed === undefined) this.#armed = await this.#readArmed();
    if (opts.reset && this.#armed && !(await host.agent.getScheduleById(this.#armed.id))) {
      this.#armed = null; // cancelled behind our back: armed again below
    }
    const now = Date.now();
    // A late run is followed too: a restart may cut its hand-over, and only
    // this job wakes the parent to hand it over again (a fast path does not
    // outlive the object).
    const watching = ledger.tasks.countFollowed(now) > 0 || ledger.notices.countOwed() > 0;
    const runAt = ledger.tasks.earliestRunAt();
    // Every tick sweeps; retention's next due time is one more deadline (an
    // idle parent's only one: it is woken for a sweep only when one is due).
    const sweepAt = this.#nextSweep(now);
    if (!watching && runAt === null && sweepAt === null) {
      this.#step = 0; // new work starts at the fast end
      if (this.#armed) {
        await host.agent.cancelSchedule(this.#armed.id);
        this.#armed = null;
      }
      return;
    }
    const step = opts.reset ? 0 : (opts.step ?? this.#step);
    this.#step = step;
    const cadence = {
      minMs: options.pollMinMs,
      maxMs: options.pollMaxMs,
      factor: options.pollFactor
    };
    // Scheduled tasks and retention alone need no polling: only their times.
    const delay = watching ? cadenceDelayMs(cadence, step) : Number.POSITIVE_INFINITY;
    const deadlines: number[] = [];
    // Nulls alone never hurry the cadence; only budgets, the grace end of an
    // attempt that used up its tolerance, a lapsing claim or backoff, and a
    // scheduled start do.
    const deadline = ledger.tasks.nextDeadline(options.nullTolerance, options.lostGraceMs);
    if (deadline !== null) deadlines.push(deadline);
    const retry = ledger.notices.earliestRetry();
    if (retry !== null) deadlines.push(retry + 1);
    if (runAt !== null) deadlines.push(runAt);
    if (sweepAt !== null) deadlines.push(sweepAt);
    const at = nextTickAt(now, delay, deadlines);
    // While watching, an armed job that fires no later than wanted is kept:
    // one job, never two. Idle, it must fire exactly when wanted: an earlier
    // one would wake the object for nothing.
    if (this.#armed && (watching ? this.#armed.at <= at : this.#armed.at === at)) return;
    if (this.#armed) await host.agent.cancelSchedule(this.#armed.id);
    // Not the SDK's dedupe: the backbone keeps its one job itself (#readArmed
    // drops a stale one after a restart), and its time changes from arm to arm.
    const job = await host.agent.schedule(
      new Date(at),
      BACKBONE_CALLBACK,
      { step },
      { idempotent: false }
    );
    this.#armed = { id: job.id, at };
  }

  /**
   * The backbone jobs in storage (first use after a start): keep the
   * earliest still to come. A job already due was being run when the object
   * restarted (a tick cut short leaves its job behind, and nothing would fire
   * it again): it is dropped, and the caller arms a fresh one.
   */
  async #readArmed(): Promise<{ id: string; at: number } | null> {
    const { host } = this.#c;
    const now = Date.now();
    const jobs = (await host.agent.listSchedules())
      .filter((job) => job.callback === BACKBONE_CALLBACK)
      .sort((a, b) => a.time - b.time);
    const keep = jobs.find((job) => job.time * 1000 > now);
    for (const job of jobs) if (job !== keep) await host.agent.cancelSchedule(job.id);
    return keep ? { id: keep.id, at: keep.time * 1000 } : null;
  }
}
