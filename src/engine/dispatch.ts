// Dispatch: hand a run to the child without awaiting it, keep the floating
// promise with waitUntil (the fast path), and ask children how their runs are.

import type { AgentToolRunInspection, RunAgentToolResult, SubAgentClass } from "agents";
import { type EngineContext, logError } from "./host";
import type { TaskRow } from "./ledger";

/** A child class the engine may run: what `runAgentTool` accepts. */
export type ChildClass = SubAgentClass;

type ChildStub = {
  startAgentToolRun(input: unknown, options: { runId: string }): Promise<unknown>;
  getMessages(): Promise<unknown[]>;
  inspectAgentToolRun(
    runId: string,
    options?: { reconcile?: boolean }
  ): Promise<AgentToolRunInspection | null>;
};

/** How a floating run settled: its result, or why it rejected. */
export type RunSettlement =
  | { result: RunAgentToolResult; error: null }
  | { result: null; error: unknown };

/**
 * The SDK finds a child by class name (`ctx.exports[name]`). After a restart
 * only the name is stored, so recovery hands `runAgentTool` a class that
 * carries that name; classes seen by `start()` in this instance are used as is.
 */
function classNamed(name: string): ChildClass {
  const named = { [name]: class {} }[name];
  return named as unknown as ChildClass;
}

/** Retries of a rejected dispatch, after 250 ms, 500 ms, 1 s. */
const MAX_DISPATCH_RETRIES = 3;
const RETRY_BASE_MS = 250;

export class Dispatcher {
  readonly #c: EngineContext;
  readonly #onSettled: (taskId: string, settlement: RunSettlement) => Promise<void>;
  /** Tasks whose `runAgentTool` promise is alive in this instance, by attach. */
  readonly #live = new Map<string, symbol>();
  /** How many times each task's rejected dispatch was retried in this instance. */
  readonly #retries = new Map<string, number>();
  readonly #classes = new Map<string, ChildClass>();

  constructor(
    context: EngineContext,
    onSettled: (taskId: string, settlement: RunSettlement) => Promise<void>
  ) {
    this.#c = context;
    this.#onSettled = onSettled;
  }

  remember(Child: ChildClass): void {
    this.#classes.set(Child.name, Child);
  }

  isLive(taskId: string): boolean {
    return this.#live.has(taskId);
  }

  /**
   * Dispatch (or re-attach to) the child without awaiting it and without a
   * signal: the run must outlive this turn. The same runId never starts a
   * second child turn. Every settlement of the promise is reported.
   *
   * On recovery (`ensureStarted`), a child with no record of the run never
   * received it (the restart cut the dispatch short), and the SDK would only
   * wait on it: so the run is handed to the child first. The child's start is
   * idempotent by runId.
   */
  attach(
    row: Pick<TaskRow, "id" | "run_id" | "agent" | "input_json">,
    ensureStarted: boolean
  ): void {
    if (this.#live.has(row.id)) return;
    const Child = this.#classFor(row.agent);
    const input: unknown = JSON.parse(row.input_json);
    const token = Symbol(row.id);
    this.#live.set(row.id, token);
    const run = (async (): Promise<RunAgentToolResult> => {
      if (ensureStarted && (await this.inspect(row, false)) === null) {
        const child = (await this.#c.host.dynamicAgents.get(
          Child,
          row.run_id
        )) as unknown as ChildStub;
        await child.startAgentToolRun(input, { runId: row.run_id });
      }
      return this.#c.host.runAgentTool(Child, { input, runId: row.run_id });
    })();
    const settled = run
      .then(
        (result) => this.#onSettled(row.id, { result, error: null }),
        (error: unknown) => this.#onSettled(row.id, { result: null, error })
      )
      .catch((error: unknown) => logError("the fast path failed", error))
      .finally(() => {
        if (this.#live.get(row.id) === token) this.#live.delete(row.id);
      });
    this.#c.ctx.waitUntil(settled);
  }

  /**
   * A dispatch was rejected and the child has no record of the run. A child
   * restarted while the run was on its way rejects it too, and so may a retry
   * that races the restart: so the run is handed to it again (idempotent by
   * runId) after a growing pause, up to `MAX_DISPATCH_RETRIES` times. Returns
   * false when those are used up: a child that keeps refusing the run (its
   * start throws) ends as a failed task.
   */
  retryDispatch(row: Pick<TaskRow, "id" | "run_id" | "agent" | "input_json">): boolean {
    const done = this.#retries.get(row.id) ?? 0;
    if (done >= MAX_DISPATCH_RETRIES) {
      this.#retries.delete(row.id); // the task fails now: nothing more to count
      return false;
    }
    this.#retries.set(row.id, done + 1);
    this.#live.delete(row.id);
    const pause = RETRY_BASE_MS * 2 ** done;
    this.#c.ctx.waitUntil(
      new Promise<void>((resolve) => setTimeout(resolve, pause)).then(() => {
        // Only a task still running gets the run again (not one cancelled or given up meanwhile).
        const current = this.#c.ledger.task(row.id);
        if (current?.status === "running") this.attach(current, true);
      })
    );
    return true;
  }

  /**
   * Ask the child how its run is. `null` means "no record yet".
   */
  async inspect(
    row: Pick<TaskRow, "agent" | "run_id">,
    reconcile: boolean
  ): Promise<AgentToolRunInspection | null> {
    const stub = await this.#existingChild(row);
    return stub ? stub.inspectAgentToolRun(row.run_id, { reconcile }) : null;
  }

  /** The child's messages (drill-in), or null when there is no child. */
  async messages(row: Pick<TaskRow, "agent" | "run_id">): Promise<unknown[] | null> {
    const stub = await this.#existingChild(row);
    return stub ? stub.getMessages() : null;
  }

  /** The child of a run, if it exists. `has()` first: getting an unknown child would create it. */
  async #existingChild(row: Pick<TaskRow, "agent" | "run_id">): Promise<ChildStub | null> {
    const { host } = this.#c;
    if (!host.dynamicAgents.has(row.agent, row.run_id)) return null;
    return (await host.dynamicAgents.get(
      this.#classFor(row.agent),
      row.run_id
    )) as unknown as ChildStub;
  }

  #classFor(name: string): ChildClass {
    return this.#classes.get(name) ?? classNamed(name);
  }
}
