// Starting tasks: validate every field before anything is written, dedupe
// by idempotency key, record the rows in one transaction, then dispatch.
// `startMany` starts many tasks in one call (one transaction, one arm of the
// backbone); `startBatch` starts a batch under a concurrency cap.

import { checkBatch, checkStart } from "./arguments";
import { closesCycle } from "./dependencies";
import type { Dispatcher } from "./dispatch";
import {
  BackgroundError,
  CycleError,
  InvalidInputError,
  LimitExceededError,
  UnknownTaskError
} from "./errors";
import { emit } from "./events";
import type { EngineContext } from "./host";
import { newBatchId, newRunId, newTaskId, noticeMessageId } from "./keys";
import type { NewTask } from "./ledger";
import { afterOf } from "./rows";
import type {
  BatchOptions,
  BatchResult,
  ChildClass,
  Delivery,
  StartManyItem,
  StartOptions,
  StartResult
} from "./types";
import {
  checkBudget,
  checkChild,
  checkInput,
  checkKey,
  checkRerun,
  checkSource,
  checkTitle,
  deriveTitle
} from "./validate";

/** What starting asks of the engine around it. */
export type StartPorts = {
  promote(): Promise<number>;
  arm(reset: boolean): Promise<void>;
};

/** A start, validated: a new row to write, or the task its key already names. */
type Plan =
  | { kind: "new"; task: NewTask; Child: ChildClass; releasesKey: boolean }
  | { kind: "existing"; result: StartResult };

/** Run `check` for item `i`: a refusal names the item's field (`items[3].input`). */
function forItem<T>(i: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof LimitExceededError) {
      throw new LimitExceededError(`items[${i}].${error.field}`, error.limit, error.detail);
    }
    if (error instanceof BackgroundError && error.field !== undefined) {
      // The same refusal, named inside the item: items[3].input, items[0].agent.
      throw new BackgroundError(error.code, `items[${i}].${error.field}: ${error.detail}`, {
        field: `items[${i}].${error.field}`,
        detail: error.detail,
        cause: error
      });
    }
    throw error;
  }
}

export class Starter {
  readonly #c: EngineContext;
  readonly #dispatcher: Dispatcher;
  readonly #ports: StartPorts;

  constructor(context: EngineContext, dispatcher: Dispatcher, ports: StartPorts) {
    this.#c = context;
    this.#dispatcher = dispatcher;
    this.#ports = ports;
  }

  async start(Child: ChildClass, options: StartOptions): Promise<StartResult> {
    const plan = this.#plan(Child, options, Date.now(), new Map());
    const [result] = await this.#commit([plan]);
    if (!result) throw new Error("agents-background: a start produced no task");
    return result;
  }

  /** Many tasks in one call: all validated first (a refusal names `items[i]`), written in one transaction. */
  async startMany(items: readonly StartManyItem[]): Promise<StartResult[]> {
    if (!Array.isArray(items) || items.length === 0) {
      throw new InvalidInputError("items", "must be a non-empty array of { agent, input, ... }");
    }
    const max = this.#c.options.maxStartMany;
    if (items.length > max) {
      throw new LimitExceededError("items", max, `has ${items.length} tasks`);
    }
    const now = Date.now();
    const byKey = new Map<string, NewTask>();
    const plans = items.map((item, i) =>
      forItem(i, () => {
        if (typeof item !== "object" || item === null) {
          throw new InvalidInputError("options", "must be an object with an agent and an input");
        }
        const { agent, ...options } = item;
        return this.#plan(agent, options, now + i, byKey);
      })
    );
    return this.#commit(plans);
  }

  /** Validate one start; `byKey` holds the new tasks of this call, so a repeated key dedupes too. */
  #plan(Child: ChildClass, options: StartOptions, now: number, byKey: Map<string, NewTask>): Plan {
    const { host, ctx, options: limits, ledger } = this.#c;
    checkChild(Child, ctx);
    const checked = checkStart(options, host, limits, Child.name, now);
    const key = checked.idempotencyKey;
    const earlier = key === null ? undefined : byKey.get(key);
    if (earlier) {
      return {
        kind: "existing",
        result: { taskId: earlier.id, runId: earlier.runId, status: earlier.status, deduped: true }
      };
    }
    const keyed = key === null ? null : this.#keyed(key, now);
    const existing = keyed === "expired" ? null : keyed;
    if (existing) {
      const deps = (id: string) => afterOf(ledger.tasks.get(id) ?? { after_json: null });
      if (closesCycle(existing.taskId, checked.after, deps)) {
        throw new CycleError("after", `task ${existing.taskId} would depend on itself`);
      }
      return { kind: "existing", result: existing };
    }
    for (const id of checked.after) {
      if (!ledger.tasks.get(id) && ![...byKey.values()].some((t) => t.id === id)) {
        throw new UnknownTaskError("after", id);
      }
    }
    const task: NewTask = {
      id: newTaskId(),
      runId: newRunId(),
      agent: Child.name,
      title: checked.title,
      inputJson: checked.inputJson,
      idempotencyKey: key,
      source: checked.source,
      delivery: checked.delivery,
      budgetMs: checked.budgetMs,
      rerun: checked.rerun,
      status:
        checked.runAt !== null ? "scheduled" : checked.after.length > 0 ? "waiting" : "running",
      runAt: checked.runAt,
      after: checked.after,
      batchId: null,
      now
    };
    if (key !== null) byKey.set(key, task);
    // A key past its window is released when the new task is written, not before.
    return { kind: "new", task, Child, releasesKey: keyed === "expired" };
  }

  /**
   * The task a key names, while the key dedupes: for `idempotencyWindowMs`
   * from its task's creation, whole or pruned. A key past its window is
   * released, and the start it came with makes a new task.
   */
  #keyed(key: string, now: number): StartResult | "expired" | null {
    const { ledger, options } = this.#c;
    const task = ledger.tasks.byKey(key);
    const pruned = task ? undefined : ledger.pruned.summaryByKey(key);
    const found = task ?? pruned;
    if (!found) return null;
    if (now >= found.created_at + options.idempotencyWindowMs) return "expired";
    return { taskId: found.id, runId: task?.run_id ?? "", status: found.status, deduped: true };
  }

  /**
   * Write every new row before any child is started (whatever happens next,
   * the backbone and recovery can find each task), then dispatch.
   */
  async #commit(plans: readonly Plan[]): Promise<StartResult[]> {
    const { ledger } = this.#c;
    const fresh = plans.flatMap((p) => (p.kind === "new" ? [p] : []));
    const running = fresh.filter((p) => p.task.status === "running").length;
    this.#checkCapacity(fresh.length - running, running);
    ledger.sql.transaction(() => {
      for (const p of fresh) {
        if (p.releasesKey && p.task.idempotencyKey !== null) {
          ledger.pruned.releaseKey(p.task.idempotencyKey);
        }
        ledger.tasks.insert(p.task);
      }
    });
    const secret = ledger.messageSecret();
    for (const p of fresh) {
      created(this.#c, p.task);
      this.#dispatcher.remember(p.Child);
      this.#c.changed(p.task.id);
      // Signed now, so the result's notice does not wait for it.
      noticeMessageId(secret, p.task.id, "result").catch(() => undefined);
      if (p.task.status === "running") {
        this.#dispatcher.attach(
          {
            id: p.task.id,
            run_id: p.task.runId,
            agent: p.task.agent,
            input_json: p.task.inputJson
          },
          false
        );
      }
    }
    if (fresh.length > running) await this.#ports.promote();
    if (fresh.length > 0) await this.#ports.arm(running > 0);
    return plans.map((p) => {
      if (p.kind === "existing") return p.result;
      const { id, runId } = p.task;
      const status =
        p.task.status === "running" ? "running" : (ledger.tasks.get(id)?.status ?? p.task.status);
      return { taskId: id, runId, status, deduped: false };
    });
  }

  /**
   * Start one task per item, at most `maxConcurrency` running at once; the
   * rest wait their turn durably. With delivery "all", the items send no
   * notices of their own and the batch sends one when every item has ended.
   */
  async startBatch(Child: ChildClass, options: BatchOptions): Promise<BatchResult> {
    const { host, ctx, options: limits, ledger } = this.#c;
    checkChild(Child, ctx);
    const batch = checkBatch(options, limits);
    const key = checkKey(options.idempotencyKey);
    const source = checkSource(options.metadata, limits);
    const budgetMs = checkBudget(options.budgetMs, limits);
    const rerun = checkRerun(options.rerun, limits);
    const delivery: Delivery = { kind: batch.delivery === "all" ? "silent" : "react" };
    if (host.chat === null) {
      throw new InvalidInputError("delivery", "a batch needs a chat host (a chat agent)");
    }
    const items = options.items.map((item, i) => ({
      inputJson: checkInput(item?.input, limits, `items[${i}].input`),
      title: checkTitle(item?.title, `items[${i}].title`) ?? deriveTitle(item?.input, Child.name)
    }));
    const existing = key === null ? undefined : ledger.batches.byKey(key);
    if (existing && key !== null) {
      if (Date.now() < existing.created_at + limits.idempotencyWindowMs) {
        const taskIds = ledger.batches.tasks(existing.id).map((t) => t.id);
        return { batchId: existing.id, taskIds, deduped: true };
      }
      ledger.pruned.releaseKey(key);
    }
    this.#checkCapacity(items.length, 0);
    const now = Date.now();
    const batchId = newBatchId();
    const tasks = items.map(
      (item, i): NewTask => ({
        id: newTaskId(),
        runId: newRunId(),
        agent: Child.name,
        title: item.title,
        inputJson: item.inputJson,
        idempotencyKey: null,
        source,
        delivery,
        budgetMs,
        rerun,
        status: "waiting",
        runAt: null,
        after: [],
        batchId,
        // Keeps the items in order: the queue starts the oldest first.
        now: now + i
      })
    );
    ledger.sql.transaction(() => {
      ledger.batches.insert({
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
      for (const task of tasks) ledger.tasks.insert(task);
    });
    for (const task of tasks) {
      created(this.#c, task);
      this.#c.changed(task.id);
    }
    this.#dispatcher.remember(Child);
    await this.#ports.promote();
    await this.#ports.arm(true);
    const taskIds = tasks.map((t) => t.id);
    return { batchId, taskIds, deduped: false };
  }

  #checkCapacity(pending: number, running: number): void {
    const { ledger, options } = this.#c;
    if (running > 0 && ledger.tasks.countRunning() + running > options.maxConcurrentTasks) {
      throw new LimitExceededError(
        "maxConcurrentTasks",
        options.maxConcurrentTasks,
        `${ledger.tasks.countRunning()} tasks are already running on this agent`
      );
    }
    if (pending > 0 && ledger.tasks.countPending() + pending > options.maxPendingTasks) {
      throw new LimitExceededError(
        "maxPendingTasks",
        options.maxPendingTasks,
        `${ledger.tasks.countPending()} tasks are already waiting on this agent`
      );
    }
  }
}

/** The `background:created` event of a task just written. */
function created(c: EngineContext, task: NewTask): void {
  emit(c.source, "background:created", () => ({
    taskId: task.id,
    agent: task.agent,
    status: task.status,
    runAt: task.runAt,
    after: [...task.after],
    batchId: task.batchId
  }));
}
