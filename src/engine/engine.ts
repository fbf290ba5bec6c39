// The detached engine: dispatch without awaiting, the waitUntil fast path,
// the one-job backbone, slot delivery, cancel and recovery. One instance per
// parent agent instance, created by `withBackground`.

import type {
  Agent,
  AgentToolLifecycleResult,
  AgentToolRunInfo,
  AgentToolRunInspection,
  RunAgentToolResult,
  SubAgentClass
} from "agents";
import type { UIMessage } from "ai";
import { cadenceDelayMs, nextTickAt } from "./cadence";
import { InvalidInputError, LimitExceededError, UnknownAgentError } from "./errors";
import { newRunId, newTaskId, noticeKey, noticeMessageId } from "./keys";
import {
  type BackgroundTask,
  type Delivery,
  Ledger,
  type OutcomeFields,
  type TaskRow,
  toTask
} from "./ledger";
import type { BackgroundNotice } from "./notice";
import { MAX_BUDGET_MS, type ResolvedOptions } from "./options";
import { ensureSchema } from "./schema";
import { isTaskStatus, type NoticeSlot, TASK_STATUSES, type TaskStatus } from "./status";
import { type ChildOutcome, transition } from "./transitions";

/** The name of the backbone's scheduled callback: a method every host has. */
export const BACKBONE_CALLBACK = "backgroundTick";

export type StartOptions<Input = unknown> = {
  input: Input;
  /** Shown in lists and notices. Default: taken from the input. */
  title?: string;
  /** The same key returns the same task and never starts a second child. */
  idempotencyKey?: string;
  /** "react" (a chat notice and a model turn; chat hosts only) or `{ onFinish: "methodName" }`. */
  delivery?: "react" | { onFinish: string };
  /** Give the task up (and stop the child) after this many ms. */
  budgetMs?: number;
  metadata?: { source?: string };
};

export type StartResult = {
  taskId: string;
  runId: string;
  status: TaskStatus;
  deduped: boolean;
};

export type CancelResult =
  | { outcome: "cancelled"; taskId: string }
  | { outcome: "already-finished"; taskId: string; status: TaskStatus }
  | { outcome: "not-found"; taskId: string };

export type ListOptions = { status?: TaskStatus | TaskStatus[]; limit?: number; cursor?: string };
export type ListResult = { tasks: BackgroundTask[]; nextCursor: string | null };

/** What a callback host's `onFinish` method receives. */
export type FinishNotice = BackgroundNotice & { idempotencyKey: string };

/** A child class the engine may run: what `runAgentTool` accepts. */
export type ChildClass = SubAgentClass;

type SubmitResult = { submissionId: string; accepted: boolean };
type ChatCapable = {
  submitMessages(messages: UIMessage[], options: { idempotencyKey: string }): Promise<SubmitResult>;
};

/** The agent the engine lives in: an Agent (a Think agent for chat delivery) and its hooks. */
export type EngineHost = Pick<
  Agent<Cloudflare.Env>,
  | "runAgentTool"
  | "cancelAgentTool"
  | "dynamicAgents"
  | "cancelSchedule"
  | "listSchedules"
  | "getScheduleById"
> & {
  schedule(when: Date, callback: string, payload: { step: number }): Promise<{ id: string }>;
  renderBackgroundNotice(notice: BackgroundNotice): string;
};

type ChildStub = {
  startAgentToolRun(input: unknown, options: { runId: string }): Promise<unknown>;
  inspectAgentToolRun(
    runId: string,
    options?: { reconcile?: boolean }
  ): Promise<AgentToolRunInspection | null>;
};

const TERMINAL_CHILD = new Set(["completed", "error", "aborted"]);
const MAX_KEY_LENGTH = 256;
const MAX_TITLE_LENGTH = 200;
const MAX_LIST_LIMIT = 200;

function isChatHost(host: object): host is ChatCapable {
  return typeof (host as Partial<ChatCapable>).submitMessages === "function";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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

function deriveTitle(input: unknown, agent: string): string {
  let text: string | undefined;
  if (typeof input === "string") text = input;
  else if (input && typeof input === "object") {
    const record = input as Record<string, unknown>;
    for (const key of ["title", "task", "query", "prompt"]) {
      if (typeof record[key] === "string") {
        text = record[key];
        break;
      }
    }
  }
  const title = (text ?? agent).replace(/\s+/g, " ").trim();
  return title.length > 80 ? `${title.slice(0, 79)}…` : title || agent;
}

function encodeCursor(row: TaskRow): string {
  return btoa(JSON.stringify([row.created_at, row.id]));
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as [unknown, unknown];
    if (typeof createdAt === "number" && typeof id === "string") return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("cursor", "is not a cursor returned by list()");
}

/**
 * The SDK finds a child by class name (`ctx.exports[name]`). After a restart
 * only the name is stored, so recovery hands `runAgentTool` a class that
 * carries that name; classes seen by `start()` in this instance are used as is.
 */
function classNamed(name: string): ChildClass {
  const named = { [name]: class {} }[name];
  return named as unknown as ChildClass;
}

export class BackgroundEngine {
  readonly ledger: Ledger;
  readonly #host: EngineHost;
  readonly #ctx: DurableObjectState;
  readonly #options: ResolvedOptions;
  /** Identifies this instance's notice claims; a restarted object gets a new one. */
  readonly #instanceId = crypto.randomUUID();
  /** Tasks whose `runAgentTool` promise is alive in this instance. */
  readonly #live = new Set<string>();
  readonly #classes = new Map<string, ChildClass>();
  /** The armed backbone job: undefined until read from storage in this instance. */
  #armed: { id: string; at: number } | null | undefined = undefined;
  #arming: Promise<void> = Promise.resolve();

  constructor(host: EngineHost, ctx: DurableObjectState, options: ResolvedOptions) {
    this.#host = host;
    this.#ctx = ctx;
    this.#options = options;
    ensureSchema(ctx.storage);
    this.ledger = new Ledger(ctx.storage);
  }

  get options(): ResolvedOptions {
    return this.#options;
  }

  // ── Dispatch ──────────────────────────────────────────────────────────────

  /**
   * Start a detached run of `Child`. Returns once the ledger row is written and
   * the child dispatched, without waiting for the child to start.
   */
  async start<Input>(Child: ChildClass, options: StartOptions<Input>): Promise<StartResult> {
    const checked = this.#validateStart(Child, options);
    if (checked.idempotencyKey !== null) {
      const existing = this.ledger.taskByKey(checked.idempotencyKey);
      if (existing) {
        return {
          taskId: existing.id,
          runId: existing.run_id,
          status: existing.status,
          deduped: true
        };
      }
    }
    const running = this.ledger.countOutstanding();
    if (running >= this.#options.maxConcurrentTasks) {
      throw new LimitExceededError(
        "maxConcurrentTasks",
        this.#options.maxConcurrentTasks,
        `${running} tasks are already running on this agent`
      );
    }
    const now = Date.now();
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
      now
    };
    // The row exists before the child is started: whatever happens next, the
    // backbone and recovery can find this task.
    this.ledger.insertTask(row);
    this.#classes.set(Child.name, Child);
    this.#attach({ id: row.id, run_id: row.runId, agent: row.agent }, options.input, false);
    await this.#arm({ reset: true });
    return { taskId: row.id, runId: row.runId, status: "running", deduped: false };
  }

  #validateStart<Input>(
    Child: ChildClass,
    options: StartOptions<Input>
  ): {
    inputJson: string;
    title: string;
    idempotencyKey: string | null;
    source: string;
    delivery: Delivery;
    budgetMs: number;
  } {
    if (typeof Child !== "function" || typeof Child.name !== "string" || Child.name === "") {
      throw new UnknownAgentError("unknown_agent", "must be an agent class");
    }
    const proto = Child.prototype as Record<string, unknown> | undefined;
    if (
      !proto ||
      typeof proto.startAgentToolRun !== "function" ||
      typeof proto.inspectAgentToolRun !== "function" ||
      typeof proto.cancelAgentToolRun !== "function"
    ) {
      throw new UnknownAgentError(
        "not_chat_agent",
        `${Child.name} is not a chat agent (a Think or AIChatAgent subclass) and cannot run as a background task`
      );
    }
    const exportsMap = this.#ctx.exports as Record<string, unknown> | undefined;
    if (!exportsMap?.[Child.name]) {
      throw new UnknownAgentError(
        "unknown_agent",
        `${Child.name} is not exported by this worker with a Durable Object binding`
      );
    }
    if (!options || typeof options !== "object") {
      throw new InvalidInputError("options", "must be an object with an input");
    }
    if (options.input === undefined) throw new InvalidInputError("input", "is required");
    let inputJson: string;
    try {
      inputJson = JSON.stringify(options.input);
    } catch (error) {
      throw new InvalidInputError("input", `must be JSON-serializable (${errorText(error)})`);
    }
    if (typeof inputJson !== "string") {
      throw new InvalidInputError("input", "must be JSON-serializable");
    }
    const bytes = new TextEncoder().encode(inputJson).byteLength;
    if (bytes > this.#options.maxInputBytes) {
      throw new LimitExceededError(
        "input",
        this.#options.maxInputBytes,
        `is ${bytes} bytes of JSON, over the limit`
      );
    }
    const key = options.idempotencyKey;
    if (
      key !== undefined &&
      (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH)
    ) {
      throw new InvalidInputError(
        "idempotencyKey",
        `must be a string of 1 to ${MAX_KEY_LENGTH} characters`
      );
    }
    const title = options.title;
    if (
      title !== undefined &&
      (typeof title !== "string" || title.trim() === "" || title.length > MAX_TITLE_LENGTH)
    ) {
      throw new InvalidInputError(
        "title",
        `must be a non-empty string of at most ${MAX_TITLE_LENGTH} characters`
      );
    }
    const budgetMs = options.budgetMs ?? this.#options.budgetMs;
    if (
      typeof budgetMs !== "number" ||
      !Number.isFinite(budgetMs) ||
      budgetMs <= 0 ||
      budgetMs > MAX_BUDGET_MS
    ) {
      throw new InvalidInputError(
        "budgetMs",
        `must be a number of milliseconds above 0 and at most ${MAX_BUDGET_MS}`
      );
    }
    const source = options.metadata?.source ?? this.#options.source;
    if (typeof source !== "string" || source.length === 0 || source.length > 64) {
      throw new InvalidInputError("metadata.source", "must be a string of 1 to 64 characters");
    }
    return {
      inputJson,
      title: title?.trim() ?? deriveTitle(options.input, Child.name),
      idempotencyKey: key ?? null,
      source,
      delivery: this.#validateDelivery(options.delivery),
      budgetMs: Math.round(budgetMs)
    };
  }

  #validateDelivery(delivery: StartOptions["delivery"]): Delivery {
    if (delivery === undefined || delivery === "react") {
      if (!isChatHost(this.#host)) {
        throw new InvalidInputError(
          "delivery",
          `${this.#host.constructor.name} is not a chat agent, so notices need a method: { onFinish: "methodName" }`
        );
      }
      return { kind: "react" };
    }
    if (
      typeof delivery === "object" &&
      delivery !== null &&
      typeof delivery.onFinish === "string"
    ) {
      const method = (this.#host as unknown as Record<string, unknown>)[delivery.onFinish];
      if (typeof method !== "function") {
        throw new InvalidInputError(
          "delivery.onFinish",
          `"${delivery.onFinish}" is not a method of ${this.#host.constructor.name}`
        );
      }
      return { kind: "callback", method: delivery.onFinish };
    }
    throw new InvalidInputError("delivery", `must be "react" or { onFinish: "methodName" }`);
  }

  /**
   * Dispatch (or re-attach to) the child without awaiting it and without a
   * signal: the run must outlive this turn. The same runId never starts a
   * second child turn. Every settlement of the promise lands in the ledger.
   *
   * On recovery (`ensureStarted`), a child with no record of the run never
   * received it (the restart cut the dispatch short), and the SDK would only
   * wait on it: so the run is handed to the child first. The child's start is
   * idempotent by runId.
   */
  #attach(
    row: Pick<TaskRow, "id" | "run_id" | "agent">,
    input: unknown,
    ensureStarted: boolean
  ): void {
    const Child = this.#classFor(row.agent);
    this.#live.add(row.id);
    const run = (async (): Promise<RunAgentToolResult> => {
      if (ensureStarted && (await this.#inspect(row, false)) === null) {
        const child = (await this.#host.dynamicAgents.get(
          Child,
          row.run_id
        )) as unknown as ChildStub;
        await child.startAgentToolRun(input, { runId: row.run_id });
      }
      return this.#host.runAgentTool(Child, { input, runId: row.run_id });
    })();
    const settled = run
      .then(
        (result) => this.#onRunSettled(row.id, result, null),
        (error: unknown) => this.#onRunSettled(row.id, null, error)
      )
      .catch((error: unknown) => console.error("[agents-background] fast path failed", error))
      .finally(() => this.#live.delete(row.id));
    this.#ctx.waitUntil(settled);
  }

  /** Fast path: the floating promise settled. Confirm with the child, then settle and deliver. */
  async #onRunSettled(
    taskId: string,
    result: RunAgentToolResult | null,
    error: unknown
  ): Promise<void> {
    const row = this.ledger.task(taskId);
    if (!row || (row.status !== "running" && row.status !== "gave_up")) return;
    const inspection = await this.#inspect(row, false).catch(() => null);
    let outcome = outcomeOf(inspection) ?? outcomeOf(result);
    if (!outcome && inspection === null && error !== null) {
      // The child has no record of the run and dispatch itself failed: a failed task.
      outcome = { kind: "error", error: `dispatch failed: ${errorText(error)}` };
    }
    if (!outcome && result?.status === "error") {
      outcome = { kind: "error", error: result.error ?? "dispatch failed" };
    }
    if (outcome) {
      await this.#settleOutcome(taskId, outcome);
    } else {
      // Not terminal yet (an interrupted re-attach): the backbone keeps watching.
      await this.#arm({ reset: false });
    }
  }

  // ── Outcomes and the state machine ────────────────────────────────────────

  async #settleOutcome(taskId: string, outcome: ChildOutcome): Promise<void> {
    const row = this.ledger.task(taskId);
    if (!row) return;
    const step = transition(row.status, {
      type: "outcome",
      outcome,
      stoppedByEngine: row.stop_reason !== null
    });
    if (!step.to) return;
    const fields: OutcomeFields = { summary: null, outputJson: null, error: null };
    const max = this.#options.maxStoredOutputChars;
    if (outcome.kind === "completed") {
      fields.summary = outcome.summary.slice(0, max);
      if (outcome.output !== undefined) {
        const json = JSON.stringify(outcome.output);
        if (json !== undefined && json.length <= max) fields.outputJson = json;
      }
    } else {
      fields.error = (outcome.error ?? "the child run was aborted").slice(0, max);
    }
    if (
      this.ledger.settle(taskId, ["running", "gave_up"], step.to, step.slot, Date.now(), fields)
    ) {
      await this.#deliver(taskId, step.slot);
    }
  }

  async #giveUp(row: TaskRow, reason: "lost" | "budget"): Promise<void> {
    if (reason === "budget" && this.ledger.markStopping(row.id, "budget")) {
      await this.#host.cancelAgentTool(row.run_id, "budget exceeded").catch(() => undefined);
    }
    const settled = this.ledger.settle(row.id, ["running"], "gave_up", "gave_up", Date.now(), {
      giveUpReason: reason
    });
    if (settled) await this.#deliver(row.id, "gave_up");
  }

  // ── Inspection ────────────────────────────────────────────────────────────

  /**
   * Ask the child how its run is. `null` means "no record yet". `has()` is
   * checked first because getting an unknown child would create an empty one.
   */
  async #inspect(
    row: Pick<TaskRow, "agent" | "run_id">,
    reconcile: boolean
  ): Promise<AgentToolRunInspection | null> {
    if (!this.#host.dynamicAgents.has(row.agent, row.run_id)) return null;
    const stub = (await this.#host.dynamicAgents.get(
      this.#classFor(row.agent),
      row.run_id
    )) as unknown as ChildStub;
    return stub.inspectAgentToolRun(row.run_id, { reconcile });
  }

  #classFor(name: string): ChildClass {
    return this.#classes.get(name) ?? classNamed(name);
  }

  // ── The backbone ──────────────────────────────────────────────────────────

  /** The scheduled tick: inspect every outstanding child, give up where due, deliver what is owed. */
  async tick(payload: { step?: number } | undefined): Promise<void> {
    // This job is being consumed: whatever was armed in memory is gone.
    this.#armed = null;
    const now = Date.now();
    for (const row of this.ledger.outstanding()) {
      await this.#watch(row, now).catch((error: unknown) =>
        console.error("[agents-background] inspection failed", row.id, error)
      );
    }
    await this.deliverPending();
    const step = typeof payload?.step === "number" ? payload.step + 1 : 1;
    await this.#arm({ reset: false, step });
  }

  async #watch(row: TaskRow, now: number): Promise<void> {
    // A child without a live fast path here may hold a stale row after a
    // restart: let it reconcile. With one, its own re-attach drives it.
    const inspection = await this.#inspect(row, !this.#live.has(row.id)).catch(() => null);
    const outcome = outcomeOf(inspection);
    if (outcome) {
      await this.#settleOutcome(row.id, outcome);
      return;
    }
    this.ledger.recordInspection(
      row.id,
      now,
      inspection === null
        ? null
        : { progressJson: inspection.progress ? JSON.stringify(inspection.progress) : null }
    );
    if (now >= row.started_at + row.budget_ms) {
      await this.#giveUp(row, "budget");
      return;
    }
    const streak = inspection === null ? row.null_streak + 1 : 0;
    if (
      streak >= this.#options.nullTolerance &&
      now - row.started_at >= this.#options.lostGraceMs
    ) {
      await this.#giveUp(row, "lost");
    }
  }

  /** Deadlines the next tick must not sleep past: budgets, lost-grace ends, lapsing claims. */
  #deadlines(): number[] {
    const deadlines: number[] = [];
    for (const row of this.ledger.outstanding()) {
      deadlines.push(row.started_at + row.budget_ms);
      // Nulls alone never hurry the cadence; only a task that has used up its
      // tolerance and waits out the grace time has a deadline.
      if (row.null_streak >= this.#options.nullTolerance) {
        deadlines.push(row.started_at + this.#options.lostGraceMs);
      }
    }
    const lease = this.ledger.earliestLeaseEnd();
    if (lease !== null) deadlines.push(lease + 1);
    return deadlines;
  }

  /**
   * Keep exactly one backbone job armed while anything is outstanding or owed,
   * and none otherwise. `reset` (a new dispatch) pulls the next tick in to the
   * fast end of the cadence. Serialized, so concurrent callers never arm two.
   */
  #arm(opts: { reset: boolean; step?: number }): Promise<void> {
    const run = this.#arming.then(() => this.#armNow(opts));
    this.#arming = run.catch((error: unknown) =>
      console.error("[agents-background] arming the backbone failed", error)
    );
    return run;
  }

  async #armNow(opts: { reset: boolean; step?: number }): Promise<void> {
    if (this.#armed === undefined) this.#armed = await this.#readArmed();
    // A dispatch checks that the job it relies on still exists (anyone may
    // cancel schedules); a missing one is armed again below.
    if (opts.reset && this.#armed && !(await this.#host.getScheduleById(this.#armed.id))) {
      this.#armed = null;
    }
    const busy = this.ledger.countOutstanding() > 0 || this.ledger.countUndelivered() > 0;
    if (!busy) {
      if (this.#armed) {
        await this.#host.cancelSchedule(this.#armed.id);
        this.#armed = null;
      }
      return;
    }
    const step = opts.reset ? 0 : (opts.step ?? 0);
    const now = Date.now();
    const at = nextTickAt(now, cadenceDelayMs(this.#cadence(), step), this.#deadlines());
    // A job that will fire no later than wanted is kept (a tick re-arms it);
    // one armed by a dispatch is never pushed later by a slower cadence.
    // An armed job that fires no later than wanted is kept: one job, never two.
    if (this.#armed && this.#armed.at <= at) return;
    if (this.#armed) await this.#host.cancelSchedule(this.#armed.id);
    const job = await this.#host.schedule(new Date(at), BACKBONE_CALLBACK, { step });
    this.#armed = { id: job.id, at };
  }

  #cadence() {
    return {
      minMs: this.#options.pollMinMs,
      maxMs: this.#options.pollMaxMs,
      factor: this.#options.pollFactor
    };
  }

  /** Find the backbone jobs in storage (first use after a start); keep the earliest. */
  async #readArmed(): Promise<{ id: string; at: number } | null> {
    const jobs = (await this.#host.listSchedules())
      .filter((job) => job.callback === BACKBONE_CALLBACK)
      .sort((a, b) => a.time - b.time);
    for (const extra of jobs.slice(1)) await this.#host.cancelSchedule(extra.id);
    const first = jobs[0];
    return first ? { id: first.id, at: first.time * 1000 } : null;
  }

  // ── Delivery ──────────────────────────────────────────────────────────────

  /** Deliver every owed notice whose claim is free. */
  async deliverPending(): Promise<void> {
    for (const notice of this.ledger.deliverableNotices(Date.now())) {
      await this.#deliver(notice.task_id, notice.slot);
    }
  }

  /**
   * Deliver one slot, exactly once: claim it (compare-and-set with a lease),
   * submit it with the slot's own idempotency key, then mark it delivered. A
   * crash between submit and mark is safe: the retry's submit is deduplicated
   * by the key and returns the same submission.
   */
  async #deliver(taskId: string, slot: NoticeSlot): Promise<void> {
    const now = Date.now();
    if (
      !this.ledger.claimNotice(taskId, slot, now, this.#options.deliveryLeaseMs, this.#instanceId)
    ) {
      return;
    }
    try {
      const row = this.ledger.task(taskId);
      const noticeRow = this.ledger.notices(taskId).find((n) => n.slot === slot);
      if (!row || !noticeRow) return;
      const notice: BackgroundNotice = {
        slot,
        status: noticeRow.status,
        task: toTask(row, this.ledger.notices(taskId)),
        maxChars: this.#options.noticeMaxChars
      };
      const key = noticeKey(taskId, slot);
      const delivery = notice.task.delivery;
      let submissionId: string | null = null;
      if (delivery.kind === "react") {
        const text = this.#host.renderBackgroundNotice(notice);
        if (text !== "" && isChatHost(this.#host)) {
          const message: UIMessage = {
            id: noticeMessageId(taskId, slot),
            role: "user",
            parts: [{ type: "text", text }],
            metadata: { source: row.source, taskId, status: noticeRow.status }
          };
          const submitted = await this.#host.submitMessages([message], { idempotencyKey: key });
          submissionId = submitted.submissionId;
        }
      } else {
        const method = (this.#host as unknown as Record<string, unknown>)[delivery.method];
        if (typeof method !== "function") {
          throw new Error(
            `onFinish method "${delivery.method}" is missing on ${this.#host.constructor.name}`
          );
        }
        const finish: FinishNotice = { ...notice, idempotencyKey: key };
        await (method as (n: FinishNotice) => unknown).call(this.#host, finish);
      }
      this.ledger.markDelivered(taskId, slot, Date.now(), submissionId);
    } catch (error) {
      // Keep the claim until its lease lapses; the backbone tries again then.
      this.ledger.recordDeliveryError(taskId, slot, errorText(error));
      console.error("[agents-background] delivery failed", taskId, slot, error);
    }
    await this.#arm({ reset: false });
  }

  // ── Reading ───────────────────────────────────────────────────────────────

  get(taskId: string): BackgroundTask | null {
    if (typeof taskId !== "string") throw new InvalidInputError("taskId", "must be a string");
    const row = this.ledger.task(taskId);
    return row ? toTask(row, this.ledger.notices(taskId)) : null;
  }

  list(options: ListOptions = {}): ListResult {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidInputError("limit", `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    let statuses: TaskStatus[] | null = null;
    if (options.status !== undefined) {
      statuses = Array.isArray(options.status) ? options.status : [options.status];
      for (const status of statuses) {
        if (!isTaskStatus(status)) {
          throw new InvalidInputError("status", `must be one of ${TASK_STATUSES.join(", ")}`);
        }
      }
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

  // ── Cancel ────────────────────────────────────────────────────────────────

  /**
   * Stop a task's child and say honestly what happened: `cancelled` when the
   * child was stopped, `already-finished` with the outcome that won, or
   * `not-found`.
   */
  async cancel(taskId: string): Promise<CancelResult> {
    if (typeof taskId !== "string") throw new InvalidInputError("taskId", "must be a string");
    const row = this.ledger.task(taskId);
    if (!row) return { outcome: "not-found", taskId };
    if (row.status !== "running")
      return { outcome: "already-finished", taskId, status: row.status };
    this.ledger.markStopping(taskId, "cancel");
    await this.#host.cancelAgentTool(row.run_id, "cancelled").catch(() => undefined);
    // Confirm with the child: it may have finished before the stop reached it.
    const outcome = outcomeOf(await this.#inspect(row, false).catch(() => null));
    if (outcome && outcome.kind !== "aborted") await this.#settleOutcome(taskId, outcome);
    else if (this.ledger.settle(taskId, ["running"], "cancelled", "cancelled", Date.now(), {})) {
      await this.#deliver(taskId, "cancelled");
      return { outcome: "cancelled", taskId };
    }
    const now = this.ledger.task(taskId);
    return { outcome: "already-finished", taskId, status: now?.status ?? row.status };
  }

  // ── Hooks from the host ───────────────────────────────────────────────────

  /** After every start of the object: release dead claims, re-attach running children, re-arm. */
  async recover(): Promise<void> {
    this.ledger.releaseClaimsNotOwnedBy(this.#instanceId);
    for (const row of this.ledger.outstanding()) {
      if (this.#live.has(row.id)) continue;
      this.#attach(row, JSON.parse(row.input_json), true);
    }
    this.#ctx.waitUntil(
      this.deliverPending().catch((error: unknown) =>
        console.error("[agents-background] delivering after start failed", error)
      )
    );
    await this.#arm({ reset: true });
  }

  /** The SDK finished a run (live, or in its own start-up recovery): a durable second source. */
  async observeFinish(run: AgentToolRunInfo, result: AgentToolLifecycleResult): Promise<void> {
    const row = this.ledger.taskByRun(run.runId);
    if (!row) return;
    // "interrupted" is the SDK giving up waiting, not an outcome of the child.
    if (result.status === "interrupted") return;
    const outcome = outcomeOf(result);
    if (outcome) await this.#settleOutcome(row.id, outcome);
  }

  observeProgress(run: AgentToolRunInfo, progress: unknown): void {
    try {
      this.ledger.recordProgress(run.runId, JSON.stringify(progress));
    } catch {
      // progress is best-effort
    }
  }
}
