// Test worker: parents that use the engine, and children that behave on
// purpose (slow, failing, never starting, late starting). The language model
// is scripted; nothing reaches a network.

import { Think } from "@cloudflare/think";
import { Agent, type AgentToolRunInspection, routeAgentRequest } from "agents";
import { BackgroundAIChatAgent } from "agents-background/ai-chat";
import { scriptedModel } from "agents-background/testing";
import { convertToModelMessages, streamText, tool, type UIMessage } from "ai";
import { z } from "zod";
import {
  BackgroundAgent,
  type BackgroundError,
  type BackgroundEvent,
  type BackgroundOptions,
  type BackgroundTask,
  BackgroundThink,
  type BatchResult,
  backgroundTools,
  type CancelResult,
  type FinishNotice,
  type ForgetResult,
  type ListOptions,
  type ListResult,
  noticeMetadata,
  type PruneResult,
  type RetryDeliveryResult,
  type StartOptions,
  type StartResult,
  subscribeBackgroundEvents
} from "../../src/index";
import type { SoakStats } from "../soak/report";

export type Env = {
  TestParent: DurableObjectNamespace<TestParent>;
  DeliveryParent: DurableObjectNamespace<DeliveryParent>;
  RerunParent: DurableObjectNamespace<RerunParent>;
  StallParent: DurableObjectNamespace<StallParent>;
  GroupParent: DurableObjectNamespace<GroupParent>;
  CadenceParent: DurableObjectNamespace<CadenceParent>;
  RetentionParent: DurableObjectNamespace<RetentionParent>;
  WindowParent: DurableObjectNamespace<WindowParent>;
  BusyAlarmParent: DurableObjectNamespace<BusyAlarmParent>;
  AIChatParent: DurableObjectNamespace<AIChatParent>;
  SoakParent: DurableObjectNamespace<SoakParent>;
  SoakKeepParent: DurableObjectNamespace<SoakKeepParent>;
  StrictParent: DurableObjectNamespace<StrictParent>;
  QuickReattachParent: DurableObjectNamespace<QuickReattachParent>;
  ThresholdParent: DurableObjectNamespace<ThresholdParent>;
  ToolParent: DurableObjectNamespace<ToolParent>;
  BenchParent: DurableObjectNamespace<BenchParent>;
  ChaosParent: DurableObjectNamespace<ChaosParent>;
  ChaosDeliveryParent: DurableObjectNamespace<ChaosDeliveryParent>;
  LimitedParent: DurableObjectNamespace<LimitedParent>;
  CallbackHost: DurableObjectNamespace<CallbackHost>;
};

/** What a test child is asked to do, as its task input. */
export type ChildInput = {
  task: string;
  /** How long the child's model takes to answer. */
  delayMs?: number;
  /** Fail the child's turn with this message. */
  fail?: string;
  /** Answer with this many characters instead of a short line. */
  outputChars?: number;
  /** SlowStarter and LateCutBeforeTurn only: wait this long before the child records the run. */
  startDelayMs?: number;
  /** SlowStarter only: its start never answers the parent (the child still runs). */
  hangAfterStart?: boolean;
  /** Wait at this gate (see `openGate`) before answering, so many children end together. */
  gate?: string;
  /** How often a child at the gate looks whether it opened (20 ms unless set). */
  gatePollMs?: number;
};

// Gates children wait at, per isolate: how many wait, and whether it opened.
const gates = new Map<string, { waiting: number; open: boolean }>();

function gate(name: string): { waiting: number; open: boolean } {
  const found = gates.get(name) ?? { waiting: 0, open: false };
  gates.set(name, found);
  return found;
}

// Model calls per child task, per isolate. Read through a parent's RPC.
const childCalls = new Map<string, { calls: number; startedAt: number[]; endedAt: number[] }>();

/**
 * A child's input: JSON from `start()`, or text from the model's tools, where
 * `task=NAME delay=MS fail=WHY` words say the same.
 */
export function parseInput(text: string): ChildInput {
  try {
    const parsed = JSON.parse(text) as Partial<ChildInput>;
    return { ...parsed, task: String(parsed.task ?? "?") };
  } catch {
    const task = /task=(\S+)/.exec(text)?.[1] ?? text;
    const delay = /delay=(\d+)/.exec(text)?.[1];
    const fail = /fail=(\S+)/.exec(text)?.[1];
    return {
      task,
      ...(delay === undefined ? {} : { delayMs: Number(delay) }),
      ...(fail === undefined ? {} : { fail })
    };
  }
}

/** The text of a child's first user message: its task input. */
function firstUserText(messages: readonly UIMessage[]): string {
  const first = messages.find((m) => m.role === "user");
  return first?.parts.map((p) => (p.type === "text" ? p.text : "")).join("") ?? "";
}

// ── Children ────────────────────────────────────────────────────────────────

export class Worker extends Think<Env> {
  /** A tool the child's model calls to report progress through the SDK. */
  override getTools() {
    return {
      report_progress: tool({
        description: "Report progress.",
        inputSchema: z.object({ fraction: z.number(), message: z.string() }),
        execute: async (progress) => {
          await this.reportProgress(progress);
          return "reported";
        }
      }),
      wait_gate: tool({
        description: "Wait until the gate opens.",
        inputSchema: z.object({ gate: z.string(), pollMs: z.number().optional() }),
        execute: async ({ gate: name, pollMs }) => {
          const g = gate(name);
          g.waiting++;
          while (!g.open) await new Promise((resolve) => setTimeout(resolve, pollMs ?? 20));
          return "open";
        }
      })
    };
  }

  override getModel() {
    return scriptedModel("worker", ({ lastUserText, stepsSinceUser }) => {
      const input = parseInput(lastUserText);
      const progress = /progress=(\S+)/.exec(lastUserText)?.[1];
      if (progress && stepsSinceUser === 0) {
        return {
          toolCalls: [{ toolName: "report_progress", input: { fraction: 0.5, message: progress } }]
        };
      }
      if (input.gate !== undefined && stepsSinceUser === 0) {
        const wait = { gate: input.gate, pollMs: input.gatePollMs };
        return { toolCalls: [{ toolName: "wait_gate", input: wait }] };
      }
      const stats = childCalls.get(input.task) ?? { calls: 0, startedAt: [], endedAt: [] };
      stats.calls++;
      stats.startedAt.push(Date.now());
      childCalls.set(input.task, stats);
      const delayMs = input.delayMs ?? 0;
      if (input.fail !== undefined) return { error: input.fail, delayMs };
      const text = input.outputChars
        ? `${"x".repeat(Math.max(0, input.outputChars - 4))}/END`
        : `RESULT for ${input.task}`;
      return { text, delayMs };
    });
  }
  override getSystemPrompt() {
    return "You are a background worker.";
  }

  /** This child's SQLite size, for the soak's storage figures. */
  dbSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  /** Record when the child's turn ended, for the concurrency tests. */
  override onChatResponse(): void {
    const stats = childCalls.get(parseInput(firstUserText(this.messages)).task);
    stats?.endedAt.push(Date.now());
  }
}

/** A child that never records the run: its inspection stays null forever. */
export class NeverStarts extends Worker {
  override async startAgentToolRun(): Promise<AgentToolRunInspection> {
    return new Promise<AgentToolRunInspection>(() => {});
  }
}

/** A late child's wait before it records a run: its input's `startDelayMs`. */
function lateStart(input: unknown): Promise<unknown> {
  const delay = (input as ChildInput).startDelayMs ?? 0;
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/** A child whose first write is late: null for `startDelayMs`, then a normal run. */
export class SlowStarter extends Worker {
  override async startAgentToolRun(
    input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    await lateStart(input);
    const started = await super.startAgentToolRun(input, options);
    // The parent never hears that the child took the run (as when the answer is lost).
    if ((input as ChildInput).hangAfterStart) return new Promise<AgentToolRunInspection>(() => {});
    return started;
  }
}

/** A child whose start fails: the dispatch itself rejects. Counts the attempts. */
export class BrokenStart extends Worker {
  override async startAgentToolRun(input: unknown): Promise<AgentToolRunInspection> {
    const task = (input as ChildInput).task;
    const stats = childCalls.get(task) ?? { calls: 0, startedAt: [], endedAt: [] };
    stats.calls++;
    childCalls.set(task, stats);
    throw new Error("cannot start: quota exhausted");
  }
}

// Background events heard in this isolate, by agent instance name, for the
// parents that asked to record them.
const recording = new Set<string>();
const heard = new Map<string, BackgroundEvent[]>();
subscribeBackgroundEvents((event) => {
  if (!recording.has(event.name)) return;
  const list = heard.get(event.name) ?? [];
  list.push(event);
  heard.set(event.name, list);
});

// Tasks whose first run was already cut short, per isolate (module state
// outlives object restarts in the test runtime).
const cutOnce = new Set<string>();

/**
 * A child whose first run of a task is cut short before its turn begins: it
 * records the run and returns, but never starts the turn. That is what a
 * restart between the child recording a run and its first message leaves
 * behind; the test then restarts the child for real. Later runs are normal.
 */
export class CutBeforeTurn extends Worker {
  override async startAgentToolRun(
    input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    const task = parseInput(typeof input === "string" ? input : JSON.stringify(input)).task;
    if (cutOnce.has(task)) return super.startAgentToolRun(input, options);
    cutOnce.add(task);
    await this.inspectAgentToolRun(options.runId); // makes sure Think's run table exists
    const startedAt = Date.now();
    this.sql`INSERT INTO cf_agent_tool_child_runs (run_id, status, started_at)
      VALUES (${options.runId}, 'starting', ${startedAt})`;
    return { runId: options.runId, status: "running", startedAt };
  }
}

/**
 * A CutBeforeTurn that is late too: each run is recorded `startDelayMs`
 * after the hand-over, so a strict parent gives the task up as lost first;
 * its first run is then recorded but its turn never begins.
 */
export class LateCutBeforeTurn extends CutBeforeTurn {
  override async startAgentToolRun(
    input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    await lateStart(input);
    return super.startAgentToolRun(input, options);
  }
}

/** Records a run and never starts its turn, every time: every attempt is cut short. */
export class CutAlways extends Worker {
  override async startAgentToolRun(
    _input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    await this.inspectAgentToolRun(options.runId);
    const startedAt = Date.now();
    this.sql`INSERT INTO cf_agent_tool_child_runs (run_id, status, started_at)
      VALUES (${options.runId}, 'starting', ${startedAt})`;
    return { runId: options.runId, status: "running", startedAt };
  }
}

/**
 * Like CutBeforeTurn, but its turn had begun (the input is in its transcript,
 * so its model may have run and its tools acted) when the run was cut.
 * Later runs are normal.
 */
export class CutMidTurn extends Worker {
  override async startAgentToolRun(
    input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    const text = typeof input === "string" ? input : JSON.stringify(input);
    const task = parseInput(text).task;
    if (cutOnce.has(task)) return super.startAgentToolRun(input, options);
    cutOnce.add(task);
    await this.addMessages([
      { id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }
    ]);
    await this.inspectAgentToolRun(options.runId);
    const startedAt = Date.now();
    this.sql`INSERT INTO cf_agent_tool_child_runs (run_id, status, started_at)
      VALUES (${options.runId}, 'starting', ${startedAt})`;
    return { runId: options.runId, status: "running", startedAt };
  }
}

// Inspections that throw, per task, until the count runs out.
const inspectFailures = new Map<string, number>();

/** A child whose inspection RPC throws while `failInspections(task, n)` has some left. */
export class FlakyInspect extends Worker {
  override async inspectAgentToolRun(
    runId: string,
    options?: { reconcile?: boolean }
  ): Promise<AgentToolRunInspection | null> {
    const first = this.messages.find((m) => m.role === "user");
    const text = first?.parts.map((p) => (p.type === "text" ? p.text : "")).join("") ?? "";
    const task = parseInput(text).task;
    const left = inspectFailures.get(task) ?? 0;
    if (left !== 0) {
      inspectFailures.set(task, left - 1);
      throw new Error("test: inspection RPC failed");
    }
    return super.inspectAgentToolRun(runId, options);
  }
}

/**
 * A child whose first run is cut short before its turn (as CutBeforeTurn),
 * and slow to stop: a cancel reaching it takes a second and a half before
 * the run is aborted, so a restart can land in the middle of a stop.
 */
export class SlowStop extends CutBeforeTurn {
  override async cancelAgentToolRun(runId: string, reason?: unknown): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return super.cancelAgentToolRun(runId, reason);
  }
}

/**
 * A child that stops at once but answers the stop a second and a half
 * later, so a restart can land between the child being stopped and the
 * parent hearing back.
 */
export class SlowStopReply extends Worker {
  override async cancelAgentToolRun(runId: string, reason?: unknown): Promise<void> {
    await super.cancelAgentToolRun(runId, reason);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

/**
 * A child slow to answer an inspection: it waits a second and a half, then
 * says what the run is by then, so a stop can land while the parent waits
 * on an inspection it began before the stop. (As a SlowStarter, it can
 * also keep the parent from hearing that it took the run.)
 */
export class SlowInspect extends SlowStarter {
  override async inspectAgentToolRun(
    runId: string,
    options?: { reconcile?: boolean }
  ): Promise<AgentToolRunInspection | null> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return super.inspectAgentToolRun(runId, options);
  }
}

/**
 * A child whose answer to the parent's housekeeping sweep (the SDK's call
 * into each child with a turn in progress, after every alarm) waits at the
 * gate `<its task's gate>:sweep`: a test holds the parent's sweep there.
 */
export class SlowSweep extends Worker {
  override async _cf_checkRunFibersForFacet(
    ownerPath: Parameters<Worker["_cf_checkRunFibersForFacet"]>[0]
  ): Promise<number> {
    const name = parseInput(firstUserText(this.messages)).gate;
    if (name !== undefined) {
      const g = gate(`${name}:sweep`);
      g.waiting++;
      while (!g.open) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return super._cf_checkRunFibersForFacet(ownerPath);
  }
}

// Runs a StallsAfterCut child leaves running, and those of them showing signs of life.
const stalledRuns = new Set<string>();
const livelyRuns = new Set<string>();

/**
 * A child whose first run of a task is cut short before its turn (as
 * CutBeforeTurn), and whose record of that run is then never settled: as
 * Think leaves a run row `running` while a recovery of its own is under way,
 * here one that never ends. While `lively`, each look at the run finds its
 * progress moved, as a recovering turn's reports would leave it.
 */
export class StallsAfterCut extends Worker {
  override async startAgentToolRun(
    input: unknown,
    options: { runId: string }
  ): Promise<AgentToolRunInspection> {
    const task = parseInput(typeof input === "string" ? input : JSON.stringify(input)).task;
    if (cutOnce.has(task)) return super.startAgentToolRun(input, options);
    cutOnce.add(task);
    stalledRuns.add(options.runId);
    await this.inspectAgentToolRun(options.runId);
    const startedAt = Date.now();
    this.sql`INSERT INTO cf_agent_tool_child_runs (run_id, status, started_at)
      VALUES (${options.runId}, 'running', ${startedAt})`;
    return { runId: options.runId, status: "running", startedAt };
  }

  override async inspectAgentToolRun(
    runId: string,
    options?: { reconcile?: boolean }
  ): Promise<AgentToolRunInspection | null> {
    if (!stalledRuns.has(runId)) return super.inspectAgentToolRun(runId, options);
    if (livelyRuns.has(runId)) {
      const at = Date.now();
      this.sql`UPDATE cf_agent_tool_child_runs
        SET progress_json = ${JSON.stringify({ message: `still at it (${at})` })}, last_signal_at = ${at}
        WHERE run_id = ${runId} AND completed_at IS NULL`;
    }
    return super.inspectAgentToolRun(runId, { reconcile: false });
  }
}

/** Not a chat agent: cannot be a background task. */
export class PlainAgent extends Agent<Env> {}

/** A chat agent with no Durable Object binding: unknown to the runtime. */
class Unexported extends Worker {}

const CHILDREN = {
  Worker,
  NeverStarts,
  SlowStarter,
  BrokenStart,
  CutBeforeTurn,
  LateCutBeforeTurn,
  CutAlways,
  CutMidTurn,
  FlakyInspect,
  SlowStop,
  SlowStopReply,
  SlowInspect,
  SlowSweep,
  StallsAfterCut,
  PlainAgent,
  Unexported
} as const;
export type ChildName = keyof typeof CHILDREN;

export type ErrorEnvelope = {
  error: { name: string; code: string; field?: string; message: string };
};

function envelope(error: unknown): ErrorEnvelope {
  const e = error as BackgroundError;
  return {
    error: {
      name: e.name,
      code: e.code,
      ...(e.field === undefined ? {} : { field: e.field }),
      message: e.message
    }
  };
}

/** A row of the SDK's job table: `time` is epoch ms (whole seconds). */
type JobRow = { id: string; callback: string; time: number; payload: string | null };

// ── Parents ─────────────────────────────────────────────────────────────────

/** Test helpers every parent exposes over RPC. */
export class TestParent extends BackgroundThink<Env> {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    nullTolerance: 3,
    lostGraceMs: 3000
  };

  override getModel() {
    return scriptedModel(
      "parent",
      ({ lastUserText }) => {
        const slow = /^SLOW:(\d+)/.exec(lastUserText)?.[1];
        return { text: `ACK: ${lastUserText.slice(0, 60)}`, delayMs: slow ? Number(slow) : 0 };
      },
      ({ lastUserText }) => {
        this.sql`CREATE TABLE IF NOT EXISTS test_model_log (at INTEGER, text TEXT, turn_meta TEXT)`;
        this
          .sql`INSERT INTO test_model_log VALUES (${Date.now()}, ${lastUserText}, ${JSON.stringify(this.activeTurnMetadata ?? null)})`;
      }
    );
  }
  override getSystemPrompt() {
    return "You are the parent.";
  }

  /** The board and its API: only with the test token. */
  override authorizeBackground(request: Request): boolean {
    return request.headers.get("authorization") === "Bearer test-token";
  }

  /** Marks this instance; a restart makes a new one, so a hold never outlives it. */
  readonly #instance = crypto.randomUUID();

  /** Calls held by `armHold`, waiting for `releaseHold`. */
  readonly #held: (() => void)[] = [];

  /**
   * Make this instance's next notice submissions hang, before or after the
   * submission is stored: a crash point for restart tests. A restarted
   * instance is not held; `releaseHold` lets the held calls go on.
   */
  armHold(mode: "before-submit" | "after-submit" | "after-add"): void {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`INSERT OR REPLACE INTO test_flags VALUES ('hold', ${`${mode}:${this.#instance}`})`;
  }

  /** End the hold: held calls go on as if never held, and later ones are not held. */
  releaseHold(): number {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`DELETE FROM test_flags WHERE k = 'hold'`;
    const released = this.#held.splice(0);
    for (const go of released) go();
    return released.length;
  }

  #hold(): string | undefined {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    return this.sql<{ v: string }>`SELECT v FROM test_flags WHERE k = 'hold'`[0]?.v;
  }

  /** Wait here until `releaseHold` (forever, if this instance is restarted first). */
  #waitForRelease(): Promise<void> {
    return new Promise((resolve) => this.#held.push(resolve));
  }

  /**
   * Make the next `times` notice submissions (whose key contains `keyPart`)
   * throw, or hang forever, before anything is stored. Kept in storage, so
   * it outlives a restart; `times: -1` is every one.
   */
  failSubmissions(mode: "throw" | "hang", times: number, keyPart = ""): void {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    const fault = JSON.stringify({ mode, times, keyPart });
    this.sql`INSERT OR REPLACE INTO test_flags VALUES ('submit_fault', ${fault})`;
  }

  /** Every submitMessages call: its key and what the fault did with it. */
  submitLog(): { key: string; outcome: string }[] {
    this.sql`CREATE TABLE IF NOT EXISTS test_submit_log (key TEXT, outcome TEXT, at INTEGER)`;
    return this.sql<{ key: string; outcome: string }>`
      SELECT key, outcome FROM test_submit_log ORDER BY rowid`;
  }

  #fault(key: string): "throw" | "hang" | "pass" {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`CREATE TABLE IF NOT EXISTS test_submit_log (key TEXT, outcome TEXT, at INTEGER)`;
    const row = this.sql<{ v: string }>`SELECT v FROM test_flags WHERE k = 'submit_fault'`[0];
    let outcome: "throw" | "hang" | "pass" = "pass";
    if (row) {
      const fault = JSON.parse(row.v) as { mode: "throw" | "hang"; times: number; keyPart: string };
      if (fault.times !== 0 && key.includes(fault.keyPart)) {
        outcome = fault.mode;
        const left = JSON.stringify({ ...fault, times: fault.times > 0 ? fault.times - 1 : -1 });
        this.sql`UPDATE test_flags SET v = ${left} WHERE k = 'submit_fault'`;
      }
    }
    this.sql`INSERT INTO test_submit_log VALUES (${key}, ${outcome}, ${Date.now()})`;
    return outcome;
  }

  override async submitMessages(
    ...args: Parameters<BackgroundThink<Env>["submitMessages"]>
  ): ReturnType<BackgroundThink<Env>["submitMessages"]> {
    const fault = this.#fault(args[1]?.idempotencyKey ?? "");
    if (fault === "throw") throw new Error("test: the chat is down");
    if (fault === "hang") return new Promise(() => {});
    const hold = this.#hold();
    if (hold === `before-submit:${this.#instance}`) await this.#waitForRelease();
    const result = await super.submitMessages(...args);
    if (hold === `after-submit:${this.#instance}`) await this.#waitForRelease();
    return result;
  }

  /** A next-turn notice is added with addMessages: the same crash point after it. */
  override async addMessages(
    ...args: Parameters<BackgroundThink<Env>["addMessages"]>
  ): ReturnType<BackgroundThink<Env>["addMessages"]> {
    await super.addMessages(...args);
    if (this.#hold() === `after-add:${this.#instance}`) await this.#waitForRelease();
  }

  async startTask(
    child: ChildName,
    input: ChildInput,
    options: Omit<StartOptions, "input"> = {}
  ): Promise<StartResult | ErrorEnvelope> {
    try {
      const Child = CHILDREN[child] as unknown as Parameters<typeof this.background.start>[0];
      return await this.background.start(Child, { ...options, input });
    } catch (error) {
      return envelope(error);
    }
  }

  /** The application's own detached run through the SDK, beside its background tasks. */
  async startOwnRun(child: ChildName, input: ChildInput): Promise<string> {
    const runId = crypto.randomUUID();
    await this.runAgentTool(CHILDREN[child] as typeof Worker, { input, runId, detached: true });
    return runId;
  }

  /** Start with any input value (for bad-input tests). */
  async startWith(child: ChildName, options: unknown): Promise<StartResult | ErrorEnvelope> {
    try {
      const Child = CHILDREN[child] as unknown as Parameters<typeof this.background.start>[0];
      return await this.background.start(Child, options as StartOptions);
    } catch (error) {
      return envelope(error);
    }
  }

  getTask(taskId: string): BackgroundTask | null {
    return this.background.get(taskId);
  }

  /**
   * Call an engine method with any arguments (for the bad-input catalogue).
   * The answer comes back as JSON, or as the error's envelope.
   */
  async callEngine(
    method:
      | "startBatch"
      | "startMany"
      | "forget"
      | "retryDelivery"
      | "prune"
      | "get"
      | "refresh"
      | "transcript"
      | "getBatch"
      | "cancel"
      | "waitFor"
      | "list",
    args: unknown[]
  ): Promise<{ json: string } | ErrorEnvelope> {
    try {
      const engine = this.background as unknown as Record<string, (...a: unknown[]) => unknown>;
      // startMany's items name their child by class name: put the class in its place.
      const classOf = (item: unknown) =>
        item && typeof item === "object" && "agent" in item
          ? { ...item, agent: CHILDREN[(item as { agent: ChildName }).agent] }
          : item;
      const call =
        method === "startBatch"
          ? [Worker, ...args]
          : method === "startMany" && Array.isArray(args[0])
            ? [args[0].map(classOf)]
            : args;
      const value = await engine[method]?.apply(this.background, call);
      return { json: JSON.stringify(value ?? null) };
    } catch (error) {
      return envelope(error);
    }
  }

  /** Everything the engine has stored, and the jobs and SDK runs: to prove a call changed nothing. */
  storedState(): string {
    const rows = (table: string) => this.ctx.storage.sql.exec(`SELECT * FROM ${table}`).toArray();
    const jobs = this.sql<{ fn: string; time: number }>`SELECT fn, time FROM cf_agents_jobs`;
    return JSON.stringify({
      tasks: rows("bg_tasks"),
      batches: rows("bg_batches"),
      notices: rows("bg_notices"),
      attempts: rows("bg_runs"),
      pruned: rows("bg_pruned"),
      jobs,
      runs: this.sdkRuns()
    });
  }

  listTasks(options: ListOptions): ListResult | ErrorEnvelope {
    try {
      return this.background.list(options);
    } catch (error) {
      return envelope(error);
    }
  }

  cancelTask(taskId: string): Promise<CancelResult> {
    return this.background.cancel(taskId);
  }

  retryDeliveryOf(taskId: string): Promise<RetryDeliveryResult> {
    return this.background.retryDelivery(taskId);
  }

  /** The notices that reached this host, in order: in its chat. */
  noticeLog(): { taskId: string; status: string }[] {
    return this.messages.flatMap((m) => {
      const meta = noticeMetadata(m);
      return meta ? [{ taskId: meta.taskId, status: meta.status }] : [];
    });
  }

  /** A user turn: waits until the model has answered. */
  async userTurn(text: string): Promise<string> {
    const result = await this.saveMessages([
      { id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }
    ]);
    return result.status;
  }

  transcript(): UIMessage[] {
    return JSON.parse(JSON.stringify(this.messages)) as UIMessage[];
  }

  /** The model's calls: when, the last user text, and the turn's metadata as JSON. */
  modelLog(): { at: number; text: string; turnMeta: string }[] {
    this.sql`CREATE TABLE IF NOT EXISTS test_model_log (at INTEGER, text TEXT, turn_meta TEXT)`;
    return this.sql<{ at: number; text: string; turnMeta: string }>`
      SELECT at, text, turn_meta AS turnMeta FROM test_model_log ORDER BY at`;
  }

  childStats(task: string): { calls: number; startedAt: number[]; endedAt: number[] } {
    return childCalls.get(task) ?? { calls: 0, startedAt: [], endedAt: [] };
  }

  jobs(): JobRow[] {
    return this.sql<JobRow>`SELECT id, fn AS callback, time, payload FROM cf_agents_jobs`;
  }

  /** Make every job due now (alarms are driven on purpose in tests). */
  makeJobsDue(): number {
    // The SDK runs a job whose time (epoch ms) has passed.
    this.sql`UPDATE cf_agents_jobs SET time = ${Date.now() - 1000}`;
    return this.jobs().length;
  }

  /** How many children (or their sweeps) wait at `name` (see `ChildInput.gate`). */
  gateWaiting(name: string): number {
    return gate(name).waiting;
  }

  /** Let everything waiting at `name` go on. */
  openGate(name: string): void {
    gate(name).open = true;
  }

  /** Cancel every scheduled job behind the engine's back. */
  async dropJobs(): Promise<void> {
    for (const job of this.jobs()) await this.cancelSchedule(job.id);
  }

  sdkRuns(): { run_id: string; status: string }[] {
    return this.sql<{ run_id: string; status: string }>`
      SELECT run_id, status FROM cf_agent_tool_runs`;
  }

  taskCount(): number {
    return this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM bg_tasks`[0]?.n ?? 0;
  }

  /** Restart one child (a real abort of its facet; its storage stays). */
  restartChild(child: ChildName, runId: string): boolean {
    if (!this.dynamicAgents.has(child, runId)) return false;
    this.dynamicAgents.abort(
      CHILDREN[child] as typeof Worker,
      runId,
      new Error("test: child restarted")
    );
    return true;
  }

  /** Restart a task's child and cancel the task at once, before the parent hears of the restart. */
  async restartChildAndCancel(child: ChildName, runId: string, taskId: string) {
    this.restartChild(child, runId);
    return this.background.cancel(taskId);
  }

  /** Record this instance's background events from now on. */
  recordEvents(): void {
    recording.add(this.name);
  }

  /** The background events recorded for this instance, as `type` and payload. */
  events(): { type: string; payload: unknown; agent: string; name: string }[] {
    return (heard.get(this.name) ?? []).map((e) => ({
      type: e.type,
      payload: e.payload,
      agent: e.agent,
      name: e.name
    }));
  }

  /** Whether a StallsAfterCut child's stalled run shows signs of life when looked at. */
  setLively(runId: string, lively: boolean): void {
    if (lively) livelyRuns.add(runId);
    else livelyRuns.delete(runId);
  }

  /** Make the next `n` inspections of `task`'s child throw (-1: all of them). */
  failInspections(task: string, n: number): void {
    inspectFailures.set(task, n);
  }

  hasChild(child: ChildName, runId: string): boolean {
    return this.dynamicAgents.has(child, runId);
  }

  /** How the child sees its run; `reconcile` lets a stale child seal it, as the backbone does. */
  async inspectChild(
    child: ChildName,
    runId: string,
    reconcile = false
  ): Promise<AgentToolRunInspection | null> {
    if (!this.dynamicAgents.has(child, runId)) return null;
    const stub = await this.dynamicAgents.get(CHILDREN[child] as typeof Worker, runId);
    return (await stub.inspectAgentToolRun(runId, { reconcile })) as AgentToolRunInspection | null;
  }

  submissions(): Promise<{ idempotencyKey?: string | null; status: string }[]> {
    return this.listSubmissions() as Promise<{ idempotencyKey?: string | null; status: string }[]>;
  }
}

/** Gives a task up as lost after one null inspection and no grace. */
export class StrictParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 1000,
    nullTolerance: 1,
    lostGraceMs: 0
  };
}

/**
 * A StrictParent whose SDK gives up re-attaching to a silent child run after
 * half a second (not two minutes): its own re-attach after a restart ends
 * while the child still runs.
 */
export class QuickReattachParent extends StrictParent {
  static options = { agentToolReattachNoProgressTimeoutMs: 500 };
}

/**
 * Tolerates three nulls and has no grace; its backbone would sleep 30 s, so
 * tests drive every tick themselves.
 */
export class ThresholdParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 30_000,
    pollMaxMs: 30_000,
    nullTolerance: 3,
    lostGraceMs: 0
  };
}

/**
 * A parent whose model uses the background tools. Its script: a user message
 * "TOOLS: [{ toolName, input, toolCallId? }, …]" makes those tool calls, and
 * the step after answers "RESULTS: <the tool outputs as JSON>". "SLOW:<ms>"
 * makes a turn take that long. Notices get "NOTED: <first line>".
 */
export class ToolParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    maxBatchItems: 5
  };

  override getTools() {
    return backgroundTools(this, {
      agents: {
        worker: { agent: Worker, description: "Does one task; takes as long as it is told." },
        never: { agent: NeverStarts, description: "Never starts." }
      }
    });
  }

  override getModel() {
    return scriptedModel(
      "tool-parent",
      ({ lastUserText, toolResults, stepsSinceUser }) => {
        if (stepsSinceUser > 0) {
          return { text: `RESULTS: ${JSON.stringify(toolResults.map((r) => r.output))}` };
        }
        if (lastUserText.startsWith("TOOLS:")) {
          return { toolCalls: JSON.parse(lastUserText.slice(6)) as ToolCallScript[] };
        }
        const slow = /^SLOW:(\d+)/.exec(lastUserText)?.[1];
        if (slow) return { text: "slow reply", delayMs: Number(slow) };
        if (/^(Background|\d+ background)/.test(lastUserText)) {
          return { text: `NOTED: ${lastUserText.split("\n")[0]}` };
        }
        return { text: `ACK: ${lastUserText.slice(0, 60)}` };
      },
      ({ lastUserText }) => {
        this.sql`CREATE TABLE IF NOT EXISTS test_model_log (at INTEGER, text TEXT, turn_meta TEXT)`;
        this
          .sql`INSERT INTO test_model_log VALUES (${Date.now()}, ${lastUserText}, ${JSON.stringify(this.activeTurnMetadata ?? null)})`;
      }
    );
  }
}

type ToolCallScript = { toolName: string; input: unknown; toolCallId?: string };

type BenchMode = "awaited" | "ours" | "native";

/**
 * A notice as the benchmarks read it: its key, when its submission was
 * accepted, when its message entered the chat's history, and when the model's
 * turn over it ended (null until then).
 */
export type BenchNotice = {
  key: string;
  createdAt: number;
  appliedAt: number | null;
  answeredAt: number | null;
};

/**
 * The benchmarks' parent: the engine with its default cadence, and the SDK's
 * own modes (awaited `runAgentTool`, native `detached`) on the same children,
 * so every comparison is measured in one run. It counts its backbone ticks.
 */
export class BenchParent extends BackgroundThink<Env> {
  static override backgroundOptions: BackgroundOptions = { maxConcurrentTasks: 2000 };

  override getModel() {
    return scriptedModel("bench-parent", () => ({ text: "ok" }));
  }

  #count(kind: string): void {
    this.sql`CREATE TABLE IF NOT EXISTS bench_ticks (kind TEXT, at INTEGER)`;
    this.sql`INSERT INTO bench_ticks VALUES (${kind}, ${Date.now()})`;
  }

  /** A call that does nothing: its round trip shows how busy the runtime is. */
  ping(): true {
    return true;
  }

  override async backgroundTick(payload?: { step?: number }): Promise<void> {
    this.#count("ours");
    await super.backgroundTick(payload);
  }

  override async _cfDetachedReconcileTick(
    payload?: Parameters<BackgroundThink<Env>["_cfDetachedReconcileTick"]>[0]
  ): Promise<void> {
    this.#count("native");
    await super._cfDetachedReconcileTick(payload);
  }

  /**
   * The warm scenario's steps, stamped in the parent as each happens: the
   * SDK's finish hook (the parent hears of the end) and the submission's call.
   */
  #stamp(key: string, step: "hook" | "submit"): void {
    this.#stepsTable();
    this.sql`INSERT INTO bench_steps VALUES (${key}, ${step}, ${Date.now()})`;
  }

  #stepsTable(): void {
    this.sql`CREATE TABLE IF NOT EXISTS bench_steps (key TEXT, step TEXT, at INTEGER)`;
  }

  override async onAgentToolFinish(
    ...args: Parameters<BackgroundThink<Env>["onAgentToolFinish"]>
  ): Promise<void> {
    this.#stamp(args[0].runId, "hook");
    return super.onAgentToolFinish(...args);
  }

  override async submitMessages(
    ...args: Parameters<BackgroundThink<Env>["submitMessages"]>
  ): ReturnType<BackgroundThink<Env>["submitMessages"]> {
    const [messages, options] = args;
    if (options?.idempotencyKey) this.#stamp(options.idempotencyKey, "submit");
    // A group carries several notices: each is stamped under its own task's key.
    for (const m of messages) {
      const meta = noticeMetadata(m);
      if (meta) this.#stamp(`bg:${meta.taskId}:${meta.status}`, "submit");
    }
    return super.submitMessages(...args);
  }

  /** When the finish hook ran for `runId`, and the first submission under `keyPrefix` was called. */
  steps(runId: string, keyPrefix: string): { hook: number | null; submit: number | null } {
    this.#stepsTable();
    const hook = this.sql<{ at: number | null }>`SELECT MIN(at) AS at FROM bench_steps
      WHERE step = 'hook' AND key = ${runId}`[0]?.at;
    const submit = this.sql<{ at: number | null }>`SELECT MIN(at) AS at FROM bench_steps
      WHERE step = 'submit' AND substr(key, 1, ${keyPrefix.length}) = ${keyPrefix}`[0]?.at;
    return { hook: hook ?? null, submit: submit ?? null };
  }

  ticks(kind: string, since = 0): number {
    this.sql`CREATE TABLE IF NOT EXISTS bench_ticks (kind TEXT, at INTEGER)`;
    return (
      this.sql<{
        n: number;
      }>`SELECT COUNT(*) AS n FROM bench_ticks WHERE kind = ${kind} AND at >= ${since}`[0]?.n ?? 0
    );
  }

  /** Start one child run in `mode` without awaiting it; returns its run id and notice key prefix. */
  async dispatch(
    mode: "ours" | "native",
    input: ChildInput
  ): Promise<{ runId: string; keyPrefix: string; ms: number }> {
    const t0 = Date.now();
    if (mode === "ours") {
      const r = await this.background.start(Worker, { input });
      return { runId: r.runId, keyPrefix: `bg:${r.taskId}:`, ms: Date.now() - t0 };
    }
    const runId = `run_${crypto.randomUUID().replaceAll("-", "")}`;
    await this.runAgentTool(Worker, { input, runId, detached: { notify: { source: "native" } } });
    return { runId, keyPrefix: `detached-finish:${runId}:`, ms: Date.now() - t0 };
  }

  /**
   * The overlap scenario: the parent does P ms of its own work while a child
   * does C. Done when both the work is done and the child's result is in the
   * parent's chat (its notice accepted; for awaited, when the call returned).
   */
  async overlap(mode: BenchMode, p: number, c: number): Promise<number> {
    const input = { task: `overlap-${crypto.randomUUID()}`, delayMs: c };
    const t0 = Date.now();
    const work = () => new Promise((resolve) => setTimeout(resolve, p));
    if (mode === "awaited") {
      await this.runAgentTool(Worker, { input });
      await work();
      return Date.now() - t0;
    }
    const { keyPrefix } = await this.dispatch(mode, input);
    await work();
    const workDone = Date.now();
    const notice = await this.waitNotice(keyPrefix, 60_000);
    return Math.max(workDone, notice?.createdAt ?? Number.NaN) - t0;
  }

  async waitNotice(keyPrefix: string, timeoutMs: number): Promise<BenchNotice | null> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.notices()).find((n) => n.key.startsWith(keyPrefix));
      if (found || Date.now() > end) return found ?? null;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Every notice accepted, by submission (Think's table: listSubmissions stops
   * at 100). Ours may carry several notices in one submission (a group): each
   * stamped message counts as its task's notice, keyed `bg:<taskId>:`.
   */
  async notices(): Promise<BenchNotice[]> {
    await this.listSubmissions({ limit: 1 }); // makes sure the table exists
    const rows = this.sql<{
      key: string;
      createdAt: number;
      appliedAt: number | null;
      answeredAt: number | null;
      messages: string;
    }>`
      SELECT idempotency_key AS key, created_at AS createdAt,
        messages_applied_at AS appliedAt, completed_at AS answeredAt, messages_json AS messages
      FROM cf_think_submissions WHERE idempotency_key IS NOT NULL`;
    return rows.flatMap(({ messages, ...row }) => {
      if (!row.key.startsWith("bg:group:")) return [row];
      return (JSON.parse(messages) as { role: string; metadata?: unknown }[]).flatMap((m) => {
        const meta = noticeMetadata(m);
        return meta ? [{ ...row, key: `bg:${meta.taskId}:${meta.status}` }] : [];
      });
    });
  }

  /**
   * Start many child runs in one call, inside the parent: ours through one
   * `startMany`, the SDK's one detached `runAgentTool` after another.
   */
  async dispatchMany(
    mode: "ours" | "native",
    inputs: ChildInput[]
  ): Promise<{ keyPrefixes: string[]; ms: number }> {
    const t0 = Date.now();
    if (mode === "ours") {
      const started = await this.background.startMany(
        inputs.map((input) => ({ agent: Worker, input }))
      );
      return { keyPrefixes: started.map((r) => `bg:${r.taskId}:`), ms: Date.now() - t0 };
    }
    const keyPrefixes: string[] = [];
    for (const input of inputs) keyPrefixes.push((await this.dispatch("native", input)).keyPrefix);
    return { keyPrefixes, ms: Date.now() - t0 };
  }

  /** How many children wait at `name`. */
  gateWaiting(name: string): number {
    return gate(name).waiting;
  }

  /** Let every child waiting at `name` answer; returns when it opened. */
  openGate(name: string): number {
    gate(name).open = true;
    return Date.now();
  }

  /** When the last child run ended, as the SDK recorded it (both modes run through it). */
  lastChildEnd(): number | null {
    return (
      this.sql<{ t: number | null }>`SELECT MAX(completed_at) AS t FROM cf_agent_tool_runs`[0]?.t ??
      null
    );
  }

  /** When the parent last heard of a child's end (the SDK's finish hook). */
  lastHeard(): number | null {
    this.#stepsTable();
    return (
      this.sql<{ t: number | null }>`SELECT MAX(at) AS t FROM bench_steps WHERE step = 'hook'`[0]
        ?.t ?? null
    );
  }

  /** Submissions accepted into this parent's chat (each one model turn). */
  async submissionCount(): Promise<number> {
    await this.listSubmissions({ limit: 1 }); // makes sure the table exists
    return (
      this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM cf_think_submissions
        WHERE idempotency_key IS NOT NULL`[0]?.n ?? 0
    );
  }

  async childEnd(runId: string): Promise<number | null> {
    if (!this.dynamicAgents.has(Worker, runId)) return null;
    const stub = await this.dynamicAgents.get(Worker, runId);
    const seen = (await stub.inspectAgentToolRun(runId, {
      reconcile: false
    })) as AgentToolRunInspection | null;
    return seen?.completedAt ?? null;
  }

  jobs(): JobRow[] {
    return this.sql<JobRow>`SELECT id, fn AS callback, time, payload FROM cf_agents_jobs`;
  }
}

/** One task as the fault campaign reads it back. */
export type ChaosTask = {
  id: string;
  runId: string;
  agent: string;
  status: string;
  attempts: number;
  giveUpReason: string | null;
  cancelReason: string | null;
  error: string | null;
  summary: string | null;
  batchId: string | null;
  /** Backbone inspections of the current attempt's child. */
  inspections: number;
  /** The SDK's own record of the current run on this parent, if any. */
  sdkStatus: string | null;
  /** Given up as lost: until when its late run may still come (its budget's end), else null. */
  lateUntil: number | null;
};

/** One notice slot in the ledger: a task's, or a batch's (`subjectId` is then the batch). */
export type ChaosSlot = {
  subjectId: string;
  slot: string;
  status: string;
  policy: string;
  openedAt: number;
  deliveredAt: number | null;
  failedAt: number | null;
  attempts: number;
  lastError: string | null;
  /** When Think stored the submission that carried it, and when it put its messages in the chat. */
  submittedAt: number | null;
  appliedAt: number | null;
};

/** One notice message in the chat, known by its stamp. */
export type ChaosNotice = { id: string; taskId: string; status: string; taskIds: string[] };

/** Everything the campaign checks of one parent, read in one call. */
export type ChaosView = {
  tasks: ChaosTask[];
  slots: ChaosSlot[];
  chat: ChaosNotice[];
  /** Backbone jobs due within the hour (an idle parent has none). */
  ticks: number;
  /** Notice submissions Think has stored. */
  submitted: number;
};

/** A child run to act on: its class name and its run id (the facet's name). */
export type ChaosRun = { agent: string; runId: string };

function isChildName(name: string): name is ChildName {
  return Object.hasOwn(CHILDREN, name);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `taskIds` a batch or merged notice lists under its stamp. */
function stampedTaskIds(message: UIMessage): string[] {
  const meta = message.metadata;
  if (!meta || typeof meta !== "object") return [];
  const turn = (meta as { turnMetadata?: unknown }).turnMetadata;
  if (!turn || typeof turn !== "object") return [];
  const stamp = (turn as { backgroundNotice?: unknown }).backgroundNotice;
  if (!stamp || typeof stamp !== "object") return [];
  const ids = (stamp as { taskIds?: unknown }).taskIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
}

/**
 * The fault campaign's parent: quick give-ups, room for many tasks, a model
 * whose turn can be made slow ("SLOW:<ms>"), and ways to restart children,
 * read everything back at once, and plant faults in its own chat.
 */
export class ChaosParent extends TestParent {
  /** The SDK tails a silent child for 30 s (not 2 min) after a restart, within a round's wait. */
  static options = { agentToolReattachNoProgressTimeoutMs: 30_000 };
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    nullTolerance: 2,
    lostGraceMs: 2500,
    stalledRunMs: 20_000,
    maxConcurrentTasks: 500
  };

  override getModel() {
    return scriptedModel("chaos-parent", ({ lastUserText }) => {
      const slow = /^SLOW:(\d+)/.exec(lastUserText)?.[1];
      return slow ? { text: "slow reply", delayMs: Number(slow) } : { text: "ok" };
    });
  }

  /** Every task, oldest first. */
  chaosTasks(): ChaosTask[] {
    const tasks: BackgroundTask[] = [];
    let cursor: string | null = null;
    do {
      const page: ListResult = this.background.list({
        limit: 200,
        ...(cursor === null ? {} : { cursor })
      });
      tasks.push(...page.tasks);
      cursor = page.nextCursor;
    } while (cursor !== null);
    const sdk = new Map(this.sdkRunsIfAny().map((r) => [r.run_id, r.status]));
    return tasks.reverse().map((t) => ({
      id: t.id,
      runId: t.runId,
      agent: t.agent,
      status: t.status,
      attempts: t.attempts,
      giveUpReason: t.giveUpReason,
      cancelReason: t.cancelReason,
      error: t.error,
      summary: t.summary,
      batchId: t.batchId,
      inspections: t.inspections,
      sdkStatus: sdk.get(t.runId) ?? null,
      lateUntil:
        t.status === "gave_up" && t.giveUpReason === "lost"
          ? (t.startedAt ?? t.createdAt) + t.budgetMs
          : null
    }));
  }

  /** The SDK's run records (none before the first run made its table). */
  sdkRunsIfAny(): { run_id: string; status: string }[] {
    try {
      return this.sdkRuns();
    } catch {
      return [];
    }
  }

  /** Every notice slot the ledger opened, batch slots included (Think's table must exist). */
  noticeSlots(): ChaosSlot[] {
    return this.sql<ChaosSlot>`
      SELECT n.task_id AS subjectId, n.slot, n.status, n.policy, n.created_at AS openedAt,
        n.delivered_at AS deliveredAt, n.failed_at AS failedAt, n.attempts,
        n.last_error AS lastError, s.created_at AS submittedAt,
        s.messages_applied_at AS appliedAt
      FROM bg_notices n LEFT JOIN cf_think_submissions s ON s.submission_id = n.submission_id
      ORDER BY n.created_at`;
  }

  /** Notice messages in the chat, in order. */
  noticeMessages(): ChaosNotice[] {
    return this.messages.flatMap((m) => {
      const meta = noticeMetadata(m);
      return meta
        ? [{ id: m.id, taskId: meta.taskId, status: meta.status, taskIds: stampedTaskIds(m) }]
        : [];
    });
  }

  async observe(): Promise<ChaosView> {
    await this.listSubmissions({ limit: 1 }); // makes sure Think's table exists
    const submitted =
      this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM cf_think_submissions
        WHERE idempotency_key LIKE 'bg:%'`[0]?.n ?? 0;
    return {
      tasks: this.chaosTasks(),
      slots: this.noticeSlots(),
      chat: this.noticeMessages(),
      // An idle parent keeps only its retention sweep, days ahead: polling is due within the hour.
      ticks: this.jobs().filter(
        (j) => j.callback === "backgroundTick" && j.time < Date.now() + 60 * 60 * 1000
      ).length,
      submitted
    };
  }

  /**
   * Start a task; with `cut`, restart its child the moment it exists, before
   * it can record the run (polled here, not over RPC, to be that early).
   */
  async startChaosTask(
    child: ChildName,
    input: ChildInput,
    options: Omit<StartOptions, "input">,
    cut = false
  ): Promise<(StartResult & { cut: boolean }) | ErrorEnvelope> {
    const started = await this.startTask(child, input, options);
    if ("error" in started || !cut) return { ...started, cut: false };
    const end = Date.now() + 1000;
    while (!this.dynamicAgents.has(child, started.runId) && Date.now() < end) await pause(1);
    return { ...started, cut: this.restartChild(child, started.runId) };
  }

  /** A batch of Worker runs, one per input. */
  async startBatchOf(
    inputs: ChildInput[],
    options: { maxConcurrency: number; delivery: "each" | "all"; idempotencyKey: string }
  ): Promise<BatchResult | ErrorEnvelope> {
    try {
      return await this.background.startBatch(Worker, {
        items: inputs.map((input) => ({ input })),
        instructions: "a fault campaign batch",
        ...options
      });
    } catch (error) {
      return envelope(error);
    }
  }

  /** Restart each of these children that exists; returns how many were restarted. */
  restartChildren(runs: ChaosRun[]): number {
    return runs.filter((r) => isChildName(r.agent) && this.restartChild(r.agent, r.runId)).length;
  }

  /**
   * Restart each child once it has recorded its run (or after `withinMs`
   * if it never does). Returns how many were restarted, and how many of
   * those had recorded the run.
   */
  async restartWhenRecorded(
    runs: ChaosRun[],
    withinMs: number
  ): Promise<{ restarted: number; recorded: number }> {
    const end = Date.now() + withinMs;
    const one = async (r: ChaosRun) => {
      if (!isChildName(r.agent)) return { restarted: false, recorded: false };
      let recorded = false;
      while (!recorded && Date.now() < end) {
        recorded = (await this.inspectChild(r.agent, r.runId).catch(() => null)) !== null;
        if (!recorded) await pause(20);
      }
      return { restarted: this.restartChild(r.agent, r.runId), recorded };
    };
    const all = await Promise.all(runs.map(one));
    return {
      restarted: all.filter((x) => x.restarted).length,
      recorded: all.filter((x) => x.restarted && x.recorded).length
    };
  }

  /** Each child's own status of its run (null: no child, or no record of the run). */
  async childStatuses(runs: ChaosRun[]): Promise<(string | null)[]> {
    const seen: (string | null)[] = [];
    for (const r of runs) {
      const run = isChildName(r.agent) ? await this.inspectChild(r.agent, r.runId, true) : null;
      seen.push(run?.status ?? null);
    }
    return seen;
  }

  /** A planted fault: take one message out of the chat, through Think's session storage. */
  async dropMessage(id: string): Promise<boolean> {
    if (!this.messages.some((m) => m.id === id)) return false;
    await this.session.deleteMessages([id]);
    await this.syncMessagesFromStorage();
    return !this.messages.some((m) => m.id === id);
  }

  /** A planted fault: a backbone job left armed (ten minutes ahead) with nothing to follow. */
  async plantTick(): Promise<void> {
    await this.schedule(600, "backgroundTick", { step: 1 }, { idempotent: false });
  }

  /** A planted fault: append a copy of one message (stamp and all) under a new id. */
  async copyMessage(id: string): Promise<string | null> {
    const message = this.messages.find((m) => m.id === id);
    if (!message) return null;
    const copy = { ...(JSON.parse(JSON.stringify(message)) as UIMessage), id: crypto.randomUUID() };
    await this.appendMessageToHistory(copy);
    return copy.id;
  }
}

/**
 * The campaign's parent for chat faults: a submission that throws or hangs
 * is timed out and retried quickly (half a second), six attempts in all.
 */
export class ChaosDeliveryParent extends ChaosParent {
  static override backgroundOptions: BackgroundOptions = {
    ...ChaosParent.backgroundOptions,
    deliveryLeaseMs: 2000,
    deliveryTimeoutMs: 500,
    deliveryRetryMs: 100,
    maxDeliveryAttempts: 6
  };
}

/** Quick delivery retries and timeouts, for the delivery-fault tests. */
export class DeliveryParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 1000,
    deliveryLeaseMs: 1000,
    deliveryTimeoutMs: 400,
    deliveryRetryMs: 100,
    maxDeliveryAttempts: 3
  };
}

/**
 * Stalled runs on a short leash: one quiet for 3 s is run again. The SDK's
 * own re-attach after a restart waits 1 s (not 2 min) for a silent child.
 */
export class StallParent extends TestParent {
  static options = { agentToolReattachNoProgressTimeoutMs: 1000 };
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 1000,
    stalledRunMs: 3000
  };
}

/** Groups of three notices at most, for the tests of full groups. */
export class GroupParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    maxNoticesPerTurn: 3
  };
}

/** A cadence that slows down to 16 s, for the tests of what pulls a tick in. */
export class CadenceParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 16_000,
    pollFactor: 2
  };
}

/** Two attempts at most, for the rerun-limit tests. */
export class RerunParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    maxAttempts: 2
  };
}

/**
 * Retention on a short leash: ended tasks are pruned one second after they
 * end. Its prune can be held at a step (a crash point for restart tests).
 */
export class RetentionParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    retainEndedMs: 1000,
    maxPrunedSummaries: 5,
    deliveryLeaseMs: 1000,
    deliveryTimeoutMs: 400,
    deliveryRetryMs: 100,
    maxDeliveryAttempts: 2
  };

  readonly #self = crypto.randomUUID();

  /** Hold this instance's next prune at a step: a restarted instance is not held. */
  holdPrune(step: "delete-child" | "forget-submission"): void {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`INSERT OR REPLACE INTO test_flags VALUES ('prune_hold', ${`${step}:${this.#self}`})`;
  }

  #held(step: string): boolean {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    const v = this.sql<{ v: string }>`SELECT v FROM test_flags WHERE k = 'prune_hold'`[0]?.v;
    return v === `${step}:${this.#self}`;
  }

  override async onStart(): Promise<void> {
    await super.onStart();
    const agents = this.dynamicAgents;
    const remove = agents.delete.bind(agents);
    agents.delete = (cls, name) =>
      this.#held("delete-child") ? new Promise<void>(() => {}) : remove(cls, name);
  }

  override async deleteSubmission(submissionId: string): Promise<boolean> {
    if (this.#held("forget-submission")) return new Promise<boolean>(() => {});
    return super.deleteSubmission(submissionId);
  }

  /** How much of a task is left: our rows, its children, the SDK's runs and submissions. */
  leftOf(taskId: string, runIds: string[]): Record<string, number> {
    const count = (query: string, ...args: SqlStorageValue[]) =>
      Number(this.ctx.storage.sql.exec(query, ...args).toArray()[0]?.n ?? 0);
    const marks = runIds.map(() => "?").join(", ");
    return {
      tasks: count("SELECT COUNT(*) AS n FROM bg_tasks WHERE id = ?", taskId),
      notices: count("SELECT COUNT(*) AS n FROM bg_notices WHERE task_id = ?", taskId),
      runs: count("SELECT COUNT(*) AS n FROM bg_runs WHERE task_id = ?", taskId),
      summaries: count("SELECT COUNT(*) AS n FROM bg_pruned WHERE id = ?", taskId),
      children: runIds.filter((id) => this.dynamicAgents.has("Worker", id)).length,
      sdkRuns: count(
        `SELECT COUNT(*) AS n FROM cf_agent_tool_runs WHERE run_id IN (${marks})`,
        ...runIds
      ),
      submissions: count(
        "SELECT COUNT(*) AS n FROM cf_think_submissions WHERE idempotency_key LIKE ?",
        `bg:${taskId}:%`
      )
    };
  }

  forgetTask(taskId: string): Promise<ForgetResult> {
    return this.background.forget(taskId);
  }

  pruneBefore(olderThan: number): Promise<PruneResult> {
    return this.background.prune({ olderThan });
  }
}

/** A short idempotency window and few ended tasks kept; no retention by age. */
export class WindowParent extends RetentionParent {
  static override backgroundOptions: BackgroundOptions = {
    pollMinMs: 1000,
    pollMaxMs: 2000,
    retainEndedMs: "forever",
    maxEndedTasks: 3,
    idempotencyWindowMs: 1000
  };
}

/**
 * A parent whose backbone ticks never come, as when every alarm first waits
 * on the SDK's scan of many running children: what it prunes, it prunes
 * while tasks end.
 */
export class BusyAlarmParent extends WindowParent {
  override async backgroundTick(): Promise<void> {}
}

const SOAK_TABLES = [
  "bg_tasks",
  "bg_runs",
  "bg_notices",
  "bg_pruned",
  "cf_agent_tool_runs",
  "cf_agents_sub_agents",
  "cf_think_submissions"
];

/**
 * The soak's parent with retention on: tasks are pruned a second after they
 * end, at most 500 ended tasks are kept whole and 1000 summaries. Its tasks are silent (no
 * chat message): what grows is the engine's own storage, not a conversation.
 */
export class SoakParent extends BackgroundThink<Env> {
  static override backgroundOptions: BackgroundOptions = {
    maxConcurrentTasks: 300,
    retainEndedMs: 1000,
    maxEndedTasks: 500,
    maxPrunedSummaries: 1000
  };

  override getModel() {
    return scriptedModel("soak-parent", () => ({ text: "ok" }));
  }

  async startSilent(n: number, prefix: string): Promise<number> {
    const started = await this.background.startMany(
      Array.from({ length: n }, (_, i) => ({
        agent: Worker,
        input: { task: `${prefix}-${i}` },
        delivery: "silent" as const
      }))
    );
    return started.length;
  }

  running(): number {
    return (
      this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM bg_tasks WHERE status = 'running'`[0]?.n ??
      0
    );
  }

  /** Run the backbone now (a tick prunes what is due), as its alarm would. */
  async tickNow(): Promise<void> {
    await this.backgroundTick({ step: 0 });
  }

  async stats(sample: number): Promise<SoakStats> {
    const tables: Record<string, number> = {};
    for (const table of SOAK_TABLES) {
      const exists = this.sql<{ n: number }>`
        SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ${table}`[0]?.n;
      tables[table] = exists
        ? Number(this.ctx.storage.sql.exec(`SELECT COUNT(*) AS n FROM ${table}`).one().n)
        : 0;
    }
    const children = this.dynamicAgents.list("Worker");
    // The newest children: the oldest may be pruned while they are read.
    let bytes = 0;
    let read = 0;
    for (const child of children.slice(-sample)) {
      if (!this.dynamicAgents.has("Worker", child.name)) continue;
      try {
        const stub = await this.dynamicAgents.get(Worker, child.name);
        bytes += await stub.dbSize();
        read++;
      } catch {
        // pruned meanwhile
      }
    }
    return {
      tables,
      children: children.length,
      parentBytes: this.ctx.storage.sql.databaseSize,
      childBytes: read > 0 ? Math.round((bytes / read) * children.length) : 0,
      childSample: read
    };
  }
}

/** The same soak with retention off: everything kept. */
export class SoakKeepParent extends SoakParent {
  static override backgroundOptions: BackgroundOptions = {
    maxConcurrentTasks: 300,
    retainEndedMs: "forever",
    maxEndedTasks: "unlimited"
  };
}

/** Tight limits, for the bad-input tests. */
export class LimitedParent extends TestParent {
  static override backgroundOptions: BackgroundOptions = {
    maxConcurrentTasks: 2,
    maxInputBytes: 1024,
    noticeMaxChars: 200,
    pollMinMs: 1000,
    pollMaxMs: 2000
  };
}

/** A host without a chat: notices go to a method. */
export class CallbackHost extends BackgroundAgent<Env> {
  static override backgroundOptions: BackgroundOptions = { pollMinMs: 1000, pollMaxMs: 2000 };

  /** The board and its socket: only with the test token, as on TestParent. */
  override authorizeBackground(request: Request): boolean {
    return request.headers.get("authorization") === "Bearer test-token";
  }

  /** Make the next `n` calls of onTaskDone throw. */
  failCallbacks(n: number): void {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`INSERT OR REPLACE INTO test_flags VALUES ('callback_failures', ${String(n)})`;
  }

  async onTaskDone(notice: FinishNotice): Promise<void> {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    const left = Number(
      this.sql<{ v: string }>`SELECT v FROM test_flags WHERE k = 'callback_failures'`[0]?.v ?? 0
    );
    if (left > 0) {
      this.sql`UPDATE test_flags SET v = ${String(left - 1)} WHERE k = 'callback_failures'`;
      throw new Error("test: the callback failed");
    }
    this.sql`CREATE TABLE IF NOT EXISTS finish_log (key TEXT, slot TEXT, status TEXT, at INTEGER)`;
    this
      .sql`INSERT INTO finish_log VALUES (${notice.idempotencyKey}, ${notice.slot}, ${notice.status}, ${Date.now()})`;
  }

  async startTask(
    child: ChildName,
    input: ChildInput,
    options: Omit<StartOptions, "input" | "delivery"> = {}
  ): Promise<StartResult | ErrorEnvelope> {
    try {
      const Child = CHILDREN[child] as unknown as Parameters<typeof this.background.start>[0];
      return await this.background.start(Child, {
        ...options,
        input,
        delivery: { onFinish: "onTaskDone" }
      });
    } catch (error) {
      return envelope(error);
    }
  }

  async startWithoutDelivery(
    child: ChildName,
    input: ChildInput
  ): Promise<StartResult | ErrorEnvelope> {
    try {
      const Child = CHILDREN[child] as unknown as Parameters<typeof this.background.start>[0];
      return await this.background.start(Child, { input });
    } catch (error) {
      return envelope(error);
    }
  }

  cancelTask(taskId: string): Promise<CancelResult> {
    return this.background.cancel(taskId);
  }

  /** The notices that reached this host, in order: through its onFinish method. */
  noticeLog(): { taskId: string; status: string }[] {
    return this.finishLog().map((n) => ({
      taskId: n.key.split(":")[1] ?? "",
      status: n.status
    }));
  }

  finishLog(): { key: string; slot: string; status: string }[] {
    this.sql`CREATE TABLE IF NOT EXISTS finish_log (key TEXT, slot TEXT, status TEXT, at INTEGER)`;
    return this.sql<{ key: string; slot: string; status: string }>`
      SELECT key, slot, status FROM finish_log ORDER BY at`;
  }

  getTask(taskId: string): BackgroundTask | null {
    return this.background.get(taskId);
  }

  jobs(): JobRow[] {
    return this.sql<JobRow>`SELECT id, fn AS callback, time, payload FROM cf_agents_jobs`;
  }

  makeJobsDue(): number {
    this.sql`UPDATE cf_agents_jobs SET time = ${Date.now() - 1000}`;
    return this.jobs().length;
  }
}

/**
 * An AIChatAgent host: its model is scripted too ("ACK: …" to anything). Its
 * notices go through the adapter's own durable submissions.
 */
export class AIChatParent extends BackgroundAIChatAgent<Env> {
  static override backgroundOptions: BackgroundOptions = { pollMinMs: 1000, pollMaxMs: 2000 };

  /** The board and its socket: only with the test token, as on TestParent. */
  override authorizeBackground(request: Request): boolean {
    return request.headers.get("authorization") === "Bearer test-token";
  }

  override async onChatMessage(): Promise<Response> {
    const model = scriptedModel("aichat-parent", ({ lastUserText }) => {
      const slow = /^SLOW:(\d+)/.exec(lastUserText)?.[1];
      return { text: `ACK: ${lastUserText.slice(0, 60)}`, delayMs: slow ? Number(slow) : 0 };
    });
    const result = streamText({ model, messages: await convertToModelMessages(this.messages) });
    return result.toUIMessageStreamResponse();
  }

  async startTask(
    child: ChildName,
    input: ChildInput,
    options: Omit<StartOptions, "input"> = {}
  ): Promise<StartResult | ErrorEnvelope> {
    try {
      const Child = CHILDREN[child] as unknown as Parameters<typeof this.background.start>[0];
      return await this.background.start(Child, { ...options, input });
    } catch (error) {
      return envelope(error);
    }
  }

  cancelTask(taskId: string): Promise<CancelResult> {
    return this.background.cancel(taskId);
  }

  getTask(taskId: string): BackgroundTask | null {
    return this.background.get(taskId);
  }

  noticeLog(): { taskId: string; status: string }[] {
    return this.messages.flatMap((m) => {
      const meta = noticeMetadata(m);
      return meta ? [{ taskId: meta.taskId, status: meta.status }] : [];
    });
  }

  transcript(): UIMessage[] {
    return JSON.parse(JSON.stringify(this.messages)) as UIMessage[];
  }

  readonly #self = crypto.randomUUID();

  /**
   * Make this instance's next `saveMessages` hang before anything is saved:
   * a notice then stays stored but turnless until a restart. A restarted
   * instance is not held.
   */
  holdSaves(): void {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    this.sql`INSERT OR REPLACE INTO test_flags VALUES ('hold_save', ${this.#self})`;
  }

  override saveMessages(
    ...args: Parameters<BackgroundAIChatAgent<Env>["saveMessages"]>
  ): ReturnType<BackgroundAIChatAgent<Env>["saveMessages"]> {
    this.sql`CREATE TABLE IF NOT EXISTS test_flags (k TEXT PRIMARY KEY, v TEXT)`;
    const held = this.sql<{ v: string }>`SELECT v FROM test_flags WHERE k = 'hold_save'`[0]?.v;
    if (held === this.#self) return new Promise(() => {});
    return super.saveMessages(...args);
  }

  /** Where this host's own submissions stand. */
  chatSubmissions(): { state: string }[] {
    return this.sql<{ state: string }>`SELECT state FROM bg_chat_submissions`;
  }

  /** A user turn, as a client's message would start one; waits for the reply. */
  async userTurn(text: string): Promise<string> {
    const result = await this.saveMessages([
      { id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] }
    ]);
    return result.status;
  }

  /** Persist messages as a client's would be (the same sanitizing path). */
  async persistAsClient(messages: UIMessage[]): Promise<void> {
    await this.persistMessages(messages);
  }

  makeJobsDue(): number {
    this.sql`UPDATE cf_agents_jobs SET time = ${Date.now() - 1000}`;
    return this.sql<{ n: number }>`SELECT COUNT(*) AS n FROM cf_agents_jobs`[0]?.n ?? 0;
  }
}

// The demo's agents, to test the demo's own access rule in workerd.
export { Assistant, Importer, Researcher } from "../../examples/demo/agents";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return (await routeAgentRequest(request, env)) ?? new Response("test worker", { status: 200 });
  }
} satisfies ExportedHandler<Env>;
