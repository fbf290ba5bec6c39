// The detached engine: start, read, wait on and cancel background tasks, and
// apply every outcome through the state machine. Its parts: the ledger
// (SQLite), the dispatcher (fast path), the backbone (one scheduled job) and
// delivery (notice slots). One engine per parent agent instance.

import type { AgentToolLifecycleResult, AgentToolRunInfo, AgentToolRunInspection } from "agents";
import { Backbone } from "./backbone";
import { Delivery } from "./delivery";
import { closesCycle, dependencyVerdict } from "./dependencies";
import { type ChildClass, Dispatcher, type RunSettlement } from "./dispatch";
import { CycleError, InvalidInputError, LimitExceededError, UnknownTaskError } from "./errors";
import { type EngineContext, type EngineHost, errorText, logError } from "./host";
import { newBatchId, newRunId, newTaskId } from "./keys";
import {
  afterOf,
  type BackgroundBatch,
  type BackgroundTask,
  Ledger,
  type SettleFields,
  type Delivery as TaskDelivery,
  type TaskRow,
  toTask
} from "./ledger";
import type { ResolvedOptions } from "./options";
import { ensureSchema } from "./schema";
import {
  isEnded,
  isTaskStatus,
  PENDING_STATUSES,
  TASK_STATUSES,
  type TaskNoticeSlot,
  type TaskStatus
} from "./status";
import { allowedFrom, type ChildOutcome, type TaskEvent, transition } from "./transitions";
import {
  type BatchOptions,
  checkBatch,
  checkBudget,
  checkChild,
  checkId,
  checkInput,
  checkKey,
  checkSource,
  checkStart,
  checkTitle,
  checkWait,
  deriveTitle,
  isId,
  isPlainObject,
  type StartOptions
} from "./validate";

export type StartResult = {
  taskId: string;
  runId: string;
  status: TaskStatus;
  deduped: boolean;
};

export type BatchResult = { batchId: string; taskIds: string[]; deduped: boolean };

export type CancelResult =
  | { outcome: "cancelled"; taskId: string }
  | { outcome: "already-finished"; taskId: string; status: TaskStatus }
  | { outcome: "not-found"; taskId: string };

export type ListOptions = { status?: TaskStatus | TaskStatus[]; limit?: number; cursor?: string };
export type ListResult = { tasks: BackgroundTask[]; nextCursor: string | null };

export type WaitOptions = { mode: "all" | "any"; timeoutMs: number };
export type WaitResult = { done: boolean; tasks: BackgroundTask[] };

const TERMINAL_CHILD = new Set(["completed", "error", "aborted"]);
const MAX_LIST_LIMIT = 200;

/** A task's child outcome, when an inspection (or a run result) is terminal. */
function outcomeOf(
  seen: { status: string; summary?: string; output?: unknown; error?: string } | null
): ChildOutcome | null {
  if (!seen || !TERMINAL_CHILD.has(seen.status)) return null;
  if (seen.status === "completed") {
    return { kind: "completed", summary: seen.summary ?? "", output: seen.output };
  }
  if (seen.status === "error") return { kind: "error", error: seen.error ?? "the child failed" };
  return seen.error === undefined ? { kind: "aborted" } : { kind: "aborted", error: seen.error };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function encodeCursor(row: TaskRow): string {
  return btoa(JSON.stringify([row.created_at, row.id]));
}

function decodeCursor(cursor: unknown): { createdAt: number; id: string } {
  try {
    if (typeof cursor !== "string" || cursor.length > 512) throw new Error("not a cursor");
    const [createdAt, id] = JSON.parse(atob(String(cursor))) as [unknown, unknown];
    if (Number.isFinite(createdAt) && isId(id)) {
      return { createdAt: createdAt as number, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("cursor", "is not a cursor returned by list()");
}

export class BackgroundEngine {
  readonly ledger: Ledger;
  readonly #c: EngineContext;
  readonly #backbone: Backbone;
  readonly #delivery: Delivery;
  readonly #dispatcher: Dispatcher;
  /** Resolved on every status change, for waiters. */
  #changed = deferred();
  #promoting = false;
  #promoteAgain = false;

  readonly #onChange: (taskId: string) => void;

  /** `onChange` hears of every change to a task (status, progress), e.g. to push it to a board. */
  constructor(
    host: EngineHost,
    ctx: DurableObjectState,
    options: ResolvedOptions,
    onChange: (taskId: string) => void = () => {}
  ) {
    this.#onChange = onChange;
    ensureSchema(ctx.storage);
    this.ledger = new Ledger(ctx.storage);
    this.#c = { host, ctx, options, ledger: this.ledger, instanceId: crypto.randomUUID() };
    this.#backbone = new Backbone(this.#c);
    this.#delivery = new Delivery(this.#c, () => this.#backbone.arm({ reset: false }));
    this.#dispatcher = new Dispatcher(this.#c, (taskId, settlement) =>
      this.#onRunSettled(taskId, settlement)
    );
  }

  get options(): ResolvedOptions {
    return this.#c.options;
  }

  // ── Starting ──────────────────────────────────────────────────────────────

  /**
   * Start a detached run of `Child`: now, at `runAt`, or once the tasks in
   * `after` have completed. Returns once the task is recorded (and, when it
   * starts now, the child dispatched), without waiting for the child to start.
   */
  async start<Input>(Child: ChildClass, options: StartOptions<Input>): Promise<StartResult> {
    const { host, ctx, options: limits, ledger } = this.#c;
    checkChild(Child, ctx);
    const now = Date.now();
    const checked = checkStart(options, host, limits, Child.name, now);
    if (checked.idempotencyKey !== null) {
      const existing = ledger.taskByKey(checked.idempotencyKey);
      if (existing) {
        if (
          closesCycle(existing.id, checked.after, (id) =>
            afterOf(ledger.task(id) ?? { after_json: null })
          )
        ) {
          throw new CycleError("after", `task ${existing.id} would depend on itself`);
        }
        return {
          taskId: existing.id,
          runId: existing.run_id,
          status: existing.status,
          deduped: true
        };
      }
    }
    for (const id of checked.after) {
      if (!ledger.task(id)) throw new UnknownTaskError("after", id);
    }
    const status =
      checked.runAt !== null ? "scheduled" : checked.after.length > 0 ? "waiting" : "running";
    this.#checkCapacity(status === "running" ? 0 : 1, status === "running" ? 1 : 0);
    const row = {
      id: newTaskId(),
      runId: newRunId(),
      agent: Child.name,
      title: checked.title,
      inputJson: checked.inputJson,
      idempotencyKey: checked.idempotencyKey,
      source: checked.source,
      delivery: checked.delivery,
      budgetMs: checked.budgetMs,
      status,
      runAt: checked.runAt,
      after: checked.after,
      batchId: null,
      now
    } as const;
    // The row exists before the child is started: whatever happens next, the
    // backbone and recovery can find this task.
    ledger.insertTask(row);
    this.#touched(row.id);
    this.#dispatcher.remember(Child);
    if (status === "running") {
      this.#dispatcher.attach(
        { id: row.id, run_id: row.runId, agent: row.agent, input_json: row.inputJson },
        false
      );
    } else {
      await this.#promote();
    }
    await this.#backbone.arm({ reset: status === "running" });
    const current = ledger.task(row.id)?.status ?? status;
    return { taskId: row.id, runId: row.runId, status: current, deduped: false };
  }

  /**
   * Start one task per item, at most `maxConcurrency` running at once; the
   * rest wait their turn durably. With delivery "all", the items send no
   * notices of their own and the batch sends one when every item has ended.
   */
  async startBatch<Input>(Child: ChildClass, options: BatchOptions<Input>): Promise<BatchResult> {
    const { host, ctx, options: limits, ledger } = this.#c;
    checkChild(Child, ctx);
    const batch = checkBatch(options, limits);
    const key = checkKey(options.idempotencyKey);
    const source = checkSource(options.metadata, limits);
    const budgetMs = checkBudget(options.budgetMs, limits);
    const delivery: TaskDelivery = { kind: batch.delivery === "all" ? "silent" : "react" };
    if (!("submitMessages" in host)) {
      throw new InvalidInputError("delivery", "a batch needs a chat host (a Think agent)");
    }
    const items = options.items.map((item, i) => ({
      inputJson: checkInput(item?.input, limits, `items[${i}].input`),
      title: checkTitle(item?.title, `items[${i}].title`) ?? deriveTitle(item?.input, Child.name)
    }));
    if (key !== null) {
      const existing = ledger.batchByKey(key);
      if (existing) {
        const taskIds = ledger.batchTasks(existing.id).map((t) => t.id);
        return { batchId: existing.id, taskIds, deduped: true };
      }
    }
    this.#checkCapacity(items.length, 0);
    const now = Date.now();
    const batchId = newBatchId();
    const taskIds = items.map(() => newTaskId());
    ledger.transaction(() => {
      ledger.insertBatch({
        id: batchId,
        agent: Child.name,
        instructions: batch.instructions,
        max_concurrency: batch.maxConcurrency,
        delivery: batch.delivery,
        idempotency_key: key,
        source,
        created_at: now,
        ended_at: null
      });
      items.forEach((item, i) => {
        ledger.insertTask({
          id: taskIds[i] ?? newTaskId(),
          runId: newRunId(),
          agent: Child.name,
          title: item.title,
          inputJson: item.inputJson,
          idempotencyKey: null,
          source,
          delivery,
          budgetMs,
          status: "waiting",
          runAt: null,
          after: [],
          batchId,
          // Keeps the items in order: the queue starts the oldest first.
          now: now + i
        });
      });
    });
    for (const id of taskIds) this.#touched(id);
    this.#dispatcher.remember(Child);
    await this.#promote();
    await this.#backbone.arm({ reset: true });
    return { batchId, taskIds, deduped: false };
  }

  #checkCapacity(pending: number, running: number): void {
    const { ledger, options } = this.#c;
    if (running > 0 && ledger.countRunning() + running > options.maxConcurrentTasks) {
      throw new LimitExceededError(
        "maxConcurrentTasks",
        options.maxConcurrentTasks,
        `${ledger.countRunning()} tasks are already running on this agent`
      );
    }
    if (pending > 0 && ledger.countPending() + pending > options.maxPendingTasks) {
      throw new LimitExceededError(
        "maxPendingTasks",
        options.maxPendingTasks,
        `${ledger.countPending()} tasks are already waiting on this agent`
      );
    }
  }

  /**
   * Start what may start: due scheduled tasks, and waiting tasks whose
   * dependencies completed, within the global and per-batch caps. A task whose
   * dependency failed, was cancelled or given up is cancelled with a notice
   * that says which and why. Re-entrant calls fold into the running one.
   */
  async #promote(): Promise<number> {
    if (this.#promoting) {
      this.#promoteAgain = true;
      return 0;
    }
    this.#promoting = true;
    let started = 0;
    try {
      do {
        this.#promoteAgain = false;
        const { ledger, options } = this.#c;
        const now = Date.now();
        ledger.releaseDueScheduled(now);
        for (const row of ledger.waiting()) {
          const deps = afterOf(row).map((id) => ({ id, status: ledger.task(id)?.status }));
          const verdict = dependencyVerdict(deps);
          if (verdict.kind === "blocked") continue;
          if (verdict.kind === "doomed") {
            const why =
              verdict.status === "missing"
                ? "no longer exists"
                : verdict.status === "gave_up"
                  ? "was given up"
                  : verdict.status;
            await this.#apply(
              row.id,
              { type: "cancel" },
              { cancelReason: `its dependency ${verdict.id} ${why}` }
            );
            continue;
          }
          if (row.batch_id) {
            const batch = ledger.batch(row.batch_id);
            if (batch && ledger.countRunningInBatch(batch.id) >= batch.max_concurrency) continue;
          }
          if (ledger.countRunning() >= options.maxConcurrentTasks) break;
          if (ledger.markStarted(row.id, now)) {
            started++;
            this.#dispatcher.attach(row, false);
            this.#touched(row.id);
          }
        }
      } while (this.#promoteAgain);
    } finally {
      this.#promoting = false;
    }
    return started;
  }

  // ── Outcomes and the state machine ────────────────────────────────────────

  /**
   * Apply `event` to a task through the state machine, in one guarded write.
   * Returns the slot it opened (already being delivered), or null when the
   * event did not apply (another path got there first).
   */
  async #apply(
    taskId: string,
    event: TaskEvent,
    fields: SettleFields = {}
  ): Promise<TaskNoticeSlot | null> {
    const { ledger } = this.#c;
    const row = ledger.task(taskId);
    if (!row) return null;
    const step = transition(row.status, event);
    if (!step.to || !step.slot) return null;
    if (!ledger.settle(taskId, allowedFrom(event.type), step.to, step.slot, Date.now(), fields)) {
      return null;
    }
    this.#touched(taskId);
    await this.#delivery.deliver(taskId, step.slot);
    if (row.batch_id && ledger.closeBatchIfEnded(row.batch_id, Date.now())) {
      await this.#delivery.deliver(row.batch_id, "batch");
    }
    // A task ending frees a slot or settles a dependency: others may start now.
    if ((await this.#promote()) > 0) await this.#backbone.arm({ reset: true });
    return step.slot;
  }

  async #applyOutcome(taskId: string, outcome: ChildOutcome): Promise<void> {
    const row = this.#c.ledger.task(taskId);
    if (!row) return;
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
    await this.#apply(
      taskId,
      { type: "outcome", outcome, stoppedByEngine: row.stop_reason !== null },
      fields
    );
  }

  /**
   * Fast path: the floating promise settled. The SDK's result is the parent's
   * view (a child restarted mid-run reads as an error there while the child
   * recovers and goes on), so the outcome is always the child's own.
   */
  async #onRunSettled(taskId: string, settlement: RunSettlement): Promise<void> {
    const row = this.#c.ledger.task(taskId);
    if (!row || (row.status !== "running" && row.status !== "gave_up")) return;
    const inspection = await this.#dispatcher.inspect(row, false).catch(() => null);
    let outcome = outcomeOf(inspection);
    if (!outcome && inspection === null) {
      // The child has no record of the run: the dispatch itself failed.
      if (settlement.error !== null) {
        // Hand it over again a few times (a child restarted mid-dispatch takes it then), else fail.
        if (row.status === "running" && this.#dispatcher.retryDispatch(row)) return;
        outcome = { kind: "error", error: `dispatch failed: ${errorText(settlement.error)}` };
      } else if (settlement.result?.status === "error") {
        outcome = { kind: "error", error: settlement.result.error ?? "dispatch failed" };
      }
    }
    if (outcome) await this.#applyOutcome(taskId, outcome);
    else await this.#backbone.arm({ reset: false }); // not ended yet: the backbone keeps watching
  }

  async #giveUp(row: TaskRow, reason: "lost" | "budget"): Promise<void> {
    if (reason === "budget") {
      // Stopping is idempotent, and repeated after a restart that cut it short.
      this.#c.ledger.markStopping(row.id, "budget");
      await this.#c.host.cancelAgentTool(row.run_id, "budget exceeded").catch(() => undefined);
    }
    await this.#apply(row.id, { type: "give-up" }, { giveUpReason: reason });
  }

  // ── The backbone's tick ───────────────────────────────────────────────────

  /** Inspect every running child, give up where due, start what is due, deliver what is owed. */
  async tick(payload: { step?: number } | undefined): Promise<void> {
    this.#backbone.consumed();
    const now = Date.now();
    for (const row of this.#c.ledger.running()) {
      await this.#watch(row, now).catch((error: unknown) =>
        logError(`inspecting ${row.id} failed`, error)
      );
    }
    const started = await this.#promote();
    await this.#delivery.deliverPending();
    const step = typeof payload?.step === "number" ? payload.step + 1 : 1;
    await this.#backbone.arm({ reset: started > 0, step });
  }

  async #watch(row: TaskRow, now: number): Promise<void> {
    // A child without a live fast path here may hold a stale row after a
    // restart: let it reconcile. With one, its own re-attach drives it.
    const inspection: AgentToolRunInspection | null = await this.#dispatcher
      .inspect(row, !this.#dispatcher.isLive(row.id))
      .catch(() => null);
    const outcome = outcomeOf(inspection);
    if (outcome) {
      await this.#applyOutcome(row.id, outcome);
      return;
    }
    this.#c.ledger.recordInspection(
      row.id,
      now,
      inspection === null
        ? null
        : { progressJson: inspection.progress ? JSON.stringify(inspection.progress) : null }
    );
    if (inspection?.progress) this.#touched(row.id);
    const started = row.started_at ?? row.created_at;
    if (now >= started + row.budget_ms) {
      await this.#giveUp(row, "budget");
      return;
    }
    const streak = inspection === null ? row.null_streak + 1 : 0;
    const { nullTolerance, lostGraceMs } = this.#c.options;
    if (streak >= nullTolerance && now - started >= lostGraceMs) await this.#giveUp(row, "lost");
  }

  // ── Reading and waiting ───────────────────────────────────────────────────

  get(taskId: string): BackgroundTask | null {
    const row = this.ledger.task(checkId(taskId, "taskId"));
    return row ? toTask(row, this.ledger.notices(taskId)) : null;
  }

  /** The task with its child's latest progress, asked of the child now. */
  async refresh(taskId: string): Promise<BackgroundTask | null> {
    const row = this.ledger.task(checkId(taskId, "taskId"));
    if (row?.status === "running") {
      const seen = await this.#dispatcher.inspect(row, false).catch(() => null);
      if (seen?.progress) {
        this.ledger.recordProgress(row.run_id, JSON.stringify(seen.progress));
        this.#touched(row.id);
      }
    }
    return this.get(taskId);
  }

  /** A task's child transcript (drill-in), or null. Never creates a child. */
  async transcript(taskId: string): Promise<unknown[] | null> {
    const row = this.ledger.task(checkId(taskId, "taskId"));
    return row ? this.#dispatcher.messages(row) : null;
  }

  getBatch(batchId: string): BackgroundBatch | null {
    const row = this.ledger.batch(checkId(batchId, "batchId"));
    if (!row) return null;
    return {
      id: row.id,
      agent: row.agent,
      instructions: row.instructions,
      maxConcurrency: row.max_concurrency,
      delivery: row.delivery,
      createdAt: row.created_at,
      endedAt: row.ended_at,
      taskIds: this.ledger.batchTasks(row.id).map((t) => t.id)
    };
  }

  list(options: ListOptions = {}): ListResult {
    if (!isPlainObject(options)) {
      throw new InvalidInputError("options", "must be an object: { status, limit, cursor }");
    }
    const limit = options.limit ?? 50;
    if (
      typeof limit !== "number" ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > MAX_LIST_LIMIT
    ) {
      throw new InvalidInputError("limit", `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    let statuses: TaskStatus[] | null = null;
    if (options.status !== undefined) {
      const given: unknown[] = Array.isArray(options.status) ? options.status : [options.status];
      if (given.length === 0 || !given.every(isTaskStatus)) {
        throw new InvalidInputError("status", `must be one of ${TASK_STATUSES.join(", ")}`);
      }
      statuses = given;
    }
    const before = options.cursor === undefined ? null : decodeCursor(options.cursor);
    const rows = this.ledger.list({ statuses, limit: limit + 1, before });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      tasks: page.map((row) => toTask(row, this.ledger.notices(row.id))),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null
    };
  }

  /**
   * Wait until every task (`all`) or one of them (`any`) has ended, or until
   * the timeout. Returns the tasks as they are then. Unknown ids are refused.
   */
  async waitFor(ids: readonly string[], waitOptions: WaitOptions): Promise<WaitResult> {
    const { taskIds, ...options } = checkWait(ids, waitOptions);
    for (const id of taskIds) {
      if (!this.ledger.task(id)) throw new UnknownTaskError("taskIds", id);
    }
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const tasks = taskIds.flatMap((id) => {
        const task = this.get(id);
        return task ? [task] : [];
      });
      const ended = tasks.filter((t) => isEnded(t.status)).length;
      const done = options.mode === "all" ? ended === tasks.length : ended > 0;
      const left = deadline - Date.now();
      if (done || left <= 0) return { done, tasks };
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#changed.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        })
      ]);
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** A task changed: wake waiters and tell the listener. */
  #touched(taskId: string): void {
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
    try {
      this.#onChange(taskId);
    } catch (error) {
      logError("a change listener failed", error);
    }
  }

  // ── Cancel ────────────────────────────────────────────────────────────────

  /**
   * Stop a task and say honestly what happened: `cancelled` when the child was
   * stopped (or had not started), `already-finished` with the outcome that
   * won, or `not-found`.
   */
  async cancel(taskId: string): Promise<CancelResult> {
    checkId(taskId, "taskId");
    const { ledger, host } = this.#c;
    const row = ledger.task(taskId);
    if (!row) return { outcome: "not-found", taskId };
    const pending = (PENDING_STATUSES as readonly string[]).includes(row.status);
    if (row.status === "running") {
      ledger.markStopping(taskId, "cancel");
      await host.cancelAgentTool(row.run_id, "cancelled").catch(() => undefined);
      // Confirm with the child: it may have finished before the stop reached it.
      const outcome = outcomeOf(await this.#dispatcher.inspect(row, false).catch(() => null));
      if (outcome && outcome.kind !== "aborted") await this.#applyOutcome(taskId, outcome);
    }
    if ((row.status === "running" || pending) && (await this.#apply(taskId, { type: "cancel" }))) {
      return { outcome: "cancelled", taskId };
    }
    const now = ledger.task(taskId);
    return { outcome: "already-finished", taskId, status: now?.status ?? row.status };
  }

  // ── Hooks from the host ───────────────────────────────────────────────────

  /** After every start of the object: release dead claims, re-attach running children, re-arm. */
  async recover(): Promise<void> {
    const { ledger, instanceId, ctx } = this.#c;
    ledger.releaseClaimsNotOwnedBy(instanceId);
    for (const row of ledger.running()) this.#dispatcher.attach(row, true);
    await this.#promote();
    ctx.waitUntil(
      this.#delivery
        .deliverPending()
        .catch((error: unknown) => logError("delivering after start failed", error))
    );
    await this.#backbone.arm({ reset: true });
  }

  /** The SDK finished a run (live, or in its own start-up recovery): a durable second source. */
  async observeFinish(run: AgentToolRunInfo, result: AgentToolLifecycleResult): Promise<void> {
    // "interrupted" is the SDK giving up waiting, not an outcome of the child.
    if (result.status === "interrupted") return;
    const row = this.ledger.taskByRun(run.runId);
    if (!row || (row.status !== "running" && row.status !== "gave_up")) return;
    // A run followed by a live fast path here is settled there, with one inspection.
    if (this.#dispatcher.isLive(row.id)) return;
    // Confirmed with the child: the SDK's result is only the parent's view.
    const outcome = outcomeOf(await this.#dispatcher.inspect(row, false).catch(() => null));
    if (outcome) await this.#applyOutcome(row.id, outcome);
  }

  observeProgress(run: AgentToolRunInfo, progress: unknown): void {
    try {
      this.ledger.recordProgress(run.runId, JSON.stringify(progress));
      const row = this.ledger.taskByRun(run.runId);
      if (row) this.#touched(row.id);
    } catch (error) {
      logError("recording progress failed", error);
    }
  }

  turnStarted(requestId: string): void {
    this.#delivery.turnStarted(requestId);
  }

  turnEnded(requestId: string): Promise<void> {
    return this.#delivery.turnEnded(requestId);
  }
}
