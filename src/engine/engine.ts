// The engine's façade: one per parent agent instance. It wires the parts
// (ledger, dispatcher, settlement, delivery, backbone) and is what the host
// exposes as `this.background`. The parts hold the logic; see
// docs/architecture.md for the path a notice takes through them.

import type { AgentToolProgressSnapshot } from "agents";
import { checkOlderThan } from "./arguments";
import { Backbone } from "./backbone";
import { Delivery } from "./delivery";
import { Dispatcher } from "./dispatch";
import { emit } from "./events";
import { type EngineContext, type HostPort, logError } from "./host";
import { Ledger } from "./ledger";
import type { ResolvedOptions } from "./options";
import { Promoter } from "./promote";
import { Reads } from "./reads";
import { Retention } from "./retention";
import { ensureSchema } from "./schema";
import { Settlement } from "./settle";
import { Starter } from "./start";
import type {
  BackgroundBatch,
  BackgroundTask,
  BatchOptions,
  BatchResult,
  CancelResult,
  ChildClass,
  ForgetResult,
  ListOptions,
  ListResult,
  PruneResult,
  RetryDeliveryResult,
  StartManyItem,
  StartOptions,
  StartResult,
  WaitOptions,
  WaitResult
} from "./types";
import { checkId } from "./validate";

/** What `this.background` offers an application: start, read, wait on and cancel tasks. */
export interface BackgroundTasks {
  readonly options: Readonly<ResolvedOptions>;
  start<Input>(Child: ChildClass, options: StartOptions<Input>): Promise<StartResult>;
  startMany(items: readonly StartManyItem[]): Promise<StartResult[]>;
  startBatch<Input>(Child: ChildClass, options: BatchOptions<Input>): Promise<BatchResult>;
  get(taskId: string): BackgroundTask | null;
  refresh(taskId: string): Promise<BackgroundTask | null>;
  list(options?: ListOptions): ListResult;
  getBatch(batchId: string): BackgroundBatch | null;
  transcript(taskId: string): Promise<unknown[] | null>;
  waitFor(taskIds: readonly string[], options: WaitOptions): Promise<WaitResult>;
  cancel(taskId: string): Promise<CancelResult>;
  retryDelivery(taskId: string): Promise<RetryDeliveryResult>;
  forget(taskId: string): Promise<ForgetResult>;
  prune(options: { olderThan: Date | number }): Promise<PruneResult>;
}

export class BackgroundEngine implements BackgroundTasks {
  readonly #c: EngineContext;
  readonly #reads: Reads;
  readonly #backbone: Backbone;
  readonly #delivery: Delivery;
  readonly #dispatcher: Dispatcher;
  readonly #settlement: Settlement;
  readonly #promoter: Promoter;
  readonly #starter: Starter;
  readonly #retention: Retention;

  /** `onChange` hears of every change to a task (status, progress), e.g. to push it to a board. */
  constructor(
    host: HostPort,
    ctx: DurableObjectState,
    options: ResolvedOptions,
    onChange: (taskId: string) => void = () => {}
  ) {
    ensureSchema(ctx.storage);
    const ledger = new Ledger(ctx.storage);
    const reads = new Reads(ledger);
    this.#reads = reads;
    this.#c = {
      host,
      ctx,
      options,
      ledger,
      instanceId: crypto.randomUUID(),
      source: { agent: host.name, name: () => host.instanceName() },
      changed(taskId) {
        reads.signal();
        try {
          onChange(taskId);
        } catch (error) {
          logError("a change listener failed", error);
        }
      }
    };
    const arm = (reset: boolean) => this.#backbone.arm({ reset });
    const promote = () => this.#promoter.promote();
    this.#backbone = new Backbone(this.#c, (now) => this.#retention.nextDue(now));
    this.#delivery = new Delivery(this.#c, () => arm(false));
    this.#dispatcher = new Dispatcher(this.#c, (ref, settlement) =>
      this.#settlement.runSettled(ref, settlement)
    );
    this.#settlement = new Settlement(this.#c, this.#dispatcher, this.#delivery, {
      arm,
      promote,
      ended: () => this.#retention.sweepSoon()
    });
    this.#promoter = new Promoter(this.#c, this.#dispatcher, (row, reason) =>
      this.#settlement.apply(row, { type: "cancel" }, { cancelReason: reason })
    );
    this.#starter = new Starter(this.#c, this.#dispatcher, { arm, promote });
    this.#retention = new Retention(this.#c, this.#dispatcher);
  }

  get options(): Readonly<ResolvedOptions> {
    return this.#c.options;
  }

  // ── Starting ──────────────────────────────────────────────────────────────

  /**
   * Start a detached run of `Child`: now, at `runAt`, or once the tasks in
   * `after` have completed. Returns once the task is recorded (and, when it
   * starts now, the child dispatched), without waiting for the child to start.
   */
  start<Input>(Child: ChildClass, options: StartOptions<Input>): Promise<StartResult> {
    return this.#starter.start(Child, options);
  }

  /** Many tasks in one call and one transaction: one round trip for an app that starts hundreds. */
  startMany(items: readonly StartManyItem[]): Promise<StartResult[]> {
    return this.#starter.startMany(items);
  }

  startBatch<Input>(Child: ChildClass, options: BatchOptions<Input>): Promise<BatchResult> {
    return this.#starter.startBatch(Child, options);
  }

  // ── Reading and waiting ───────────────────────────────────────────────────

  get(taskId: string): BackgroundTask | null {
    return this.#reads.get(taskId);
  }

  list(options: ListOptions = {}): ListResult {
    return this.#reads.list(options);
  }

  getBatch(batchId: string): BackgroundBatch | null {
    return this.#reads.getBatch(batchId);
  }

  waitFor(taskIds: readonly string[], options: WaitOptions): Promise<WaitResult> {
    return this.#reads.waitFor(taskIds, options);
  }

  /**
   * The task with its child's latest progress, asked of the child now. Only
   * progress that moved is recorded: the same report read again is no sign
   * of life, so checking on a stalled run never hides its stall.
   */
  async refresh(taskId: string): Promise<BackgroundTask | null> {
    const row = this.#c.ledger.tasks.get(checkId(taskId, "taskId"));
    if (row?.status === "running") {
      const seen = await this.#dispatcher.inspect(row, false);
      const progress = seen.kind === "seen" ? seen.run.progress : undefined;
      if (progress && JSON.stringify(progress) !== row.progress_json) {
        this.#progress(row.run_id, progress);
      }
    }
    return this.get(taskId);
  }

  /** A task's child transcript (drill-in, current attempt), or null. Never creates a child. */
  async transcript(taskId: string): Promise<unknown[] | null> {
    const row = this.#c.ledger.tasks.get(checkId(taskId, "taskId"));
    return row ? this.#dispatcher.messages(row) : null;
  }

  // ── Changing ──────────────────────────────────────────────────────────────

  cancel(taskId: string): Promise<CancelResult> {
    return this.#settlement.cancel(checkId(taskId, "taskId"));
  }

  /**
   * Put a task's failed notices back in line and deliver them now: for a
   * notice whose every attempt failed (its host was down, its `onFinish`
   * threw). A notice that went out together with others takes its group back.
   */
  async retryDelivery(taskId: string): Promise<RetryDeliveryResult> {
    const requeued = this.#c.ledger.notices.requeueFailed(checkId(taskId, "taskId"));
    if (requeued > 0) {
      this.#c.changed(taskId);
      await this.#delivery.flush();
      await this.#backbone.arm({ reset: false });
    }
    return { taskId, requeued };
  }

  /**
   * Prune one ended task now (see `retainEndedMs`): its rows, child agents,
   * run records and notice submissions go; a summary stays. A running task,
   * or one still held (a notice owed, a dependant waiting, its batch open), is not.
   */
  async forget(taskId: string): Promise<ForgetResult> {
    const result = await this.#retention.forget(checkId(taskId, "taskId"));
    await this.#backbone.arm({ reset: false });
    return result;
  }

  /** Prune every ended task that ended before `olderThan` (a Date or epoch ms) and is not held. */
  async prune(options: { olderThan: Date | number }): Promise<PruneResult> {
    const result = await this.#retention.pruneEndedBefore(checkOlderThan(options));
    await this.#backbone.arm({ reset: false });
    return result;
  }

  // ── Hooks from the host ───────────────────────────────────────────────────

  /**
   * The child `agent`/`name` runs a task's run that was handed to it in this
   * instance and is followed live here (a child is named by its run id).
   */
  followsSinceDispatch(agent: string, name: string): boolean {
    return this.#dispatcher.isLiveSinceDispatch(agent, name);
  }

  /** The backbone's scheduled callback. */
  tick(payload: { step?: number } | undefined): Promise<void> {
    return this.#backbone.tick(payload, {
      isLive: (runId) => this.#dispatcher.isLive(runId),
      watch: (row, now) => this.#settlement.watch(row, now),
      promote: () => this.#promoter.promote(),
      flush: () => this.#delivery.flush(),
      sweep: (now) => this.#retention.sweep(now)
    });
  }

  /** After every start of the object: release dead claims, re-attach running children, re-arm. */
  async recover(): Promise<void> {
    const { ledger, instanceId, ctx } = this.#c;
    ledger.notices.releaseClaimsNotOwnedBy(instanceId);
    for (const row of ledger.tasks.running()) {
      if (row.stop_reason === null) this.#dispatcher.attach(row, true);
      else {
        // A stop the restart cut short is finished, not followed.
        ctx.waitUntil(
          this.#settlement
            .resumeStop(row)
            .catch((error: unknown) => logError(`finishing the stop of ${row.id} failed`, error))
        );
      }
    }
    // Give-up as lost is soft: a late child still gets its run (a restart may
    // have cut the hand-over short), within the task's budget.
    for (const row of ledger.tasks.awaitingLateRun(Date.now())) this.#dispatcher.attach(row, true);
    await this.#promoter.promote();
    ctx.waitUntil(
      this.#delivery
        .flush()
        .catch((error: unknown) => logError("delivering after start failed", error))
    );
    await this.#backbone.arm({ reset: true });
  }

  /**
   * The SDK finished a run (live, or in its own start-up recovery): a durable
   * second source, and, for a live run, when its child really ended.
   */
  sdkFinished(runId: string, status: string, completedAt: number | undefined): void {
    // "interrupted" is the SDK giving up waiting, not an outcome of the child.
    if (status === "interrupted") return;
    this.#settlement.sdkFinished(runId, completedAt);
  }

  /** A child reported progress: keep it, and tell listeners. */
  progress(runId: string, snapshot: AgentToolProgressSnapshot): void {
    try {
      this.#progress(runId, snapshot);
    } catch (error) {
      logError("recording progress failed", error);
    }
  }

  #progress(runId: string, snapshot: AgentToolProgressSnapshot): void {
    const taskId = this.#c.ledger.tasks.recordProgress(runId, JSON.stringify(snapshot));
    if (!taskId) return;
    this.#c.changed(taskId);
    emit(this.#c.source, "background:progress", () => ({
      taskId,
      fraction: snapshot.fraction ?? null,
      message: snapshot.message ?? null,
      phase: snapshot.phase ?? null
    }));
  }

  turnStarted(requestId: string): void {
    this.#delivery.turnStarted(requestId);
  }

  turnEnded(requestId: string): Promise<void> {
    return this.#delivery.turnEnded(requestId);
  }
}
