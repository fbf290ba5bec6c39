// Dispatch: hand a run to the child without awaiting it, keep the floating
// promise with waitUntil (the fast path), and ask children how their runs are.

import type { AgentToolRunInspection, RunAgentToolResult } from "agents";
import { emit } from "./events";
import { type EngineContext, logError, withTimeout } from "./host";
import type { TaskRow } from "./rows";
import { awaitsRun, outcomeOf } from "./transitions";
import type { ChildClass } from "./types";

/** What dispatch needs of a task: which child, which run, what input. */
export type RunRef = Pick<TaskRow, "id" | "run_id" | "agent" | "input_json">;

type ChildStub = {
  startAgentToolRun(input: unknown, options: { runId: string }): Promise<unknown>;
  getMessages(): Promise<unknown[]>;
  cancelAgentToolRun(runId: string, reason?: unknown): Promise<void>;
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
 * What a child said of a run: its record, no record (`none`: not yet, or
 * never), or nothing at all because asking failed (`error`): an RPC that
 * throws is not a `null`, and never counts toward giving a run up as lost.
 */
export type Inspection =
  | { kind: "seen"; run: AgentToolRunInspection }
  | { kind: "none" }
  | { kind: "error"; error: unknown };

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
/** One inspection RPC, and the pauses before asking again after one throws. */
const INSPECT_TIMEOUT_MS = 5000;
const INSPECT_RETRY_PAUSES_MS = [50, 250];

/** After a stop the child has not confirmed: when to look again (about 30 s in all). */
const STOP_FOLLOW_PAUSES_MS = [250, 500, 1000, 2000, 4000, 8000, 15_000];

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Dispatcher {
  readonly #c: EngineContext;
  readonly #onSettled: (ref: RunRef, settlement: RunSettlement) => Promise<void>;
  /**
   * Runs whose `runAgentTool` promise is alive in this instance, each with
   * its child's class name if the run was first handed to the child here,
   * or null if it was re-attached (after a restart its child may hold work
   * the SDK's own recovery must resume).
   */
  readonly #live = new Map<string, string | null>();
  /**
   * One abort per live run: a stop that lands while the run is still on its
   * way to the child (which ignores a stop for a run it has not recorded)
   * is applied the moment the child has it.
   */
  readonly #stops = new Map<string, AbortController>();
  /** How many times each run's rejected dispatch was retried in this instance. */
  readonly #retries = new Map<string, number>();
  readonly #classes = new Map<string, ChildClass>();

  constructor(
    context: EngineContext,
    onSettled: (ref: RunRef, settlement: RunSettlement) => Promise<void>
  ) {
    this.#c = context;
    this.#onSettled = onSettled;
  }

  remember(Child: ChildClass): void {
    this.#classes.set(Child.name, Child);
  }

  isLive(runId: string): boolean {
    return this.#live.has(runId);
  }

  /** The run was first handed to its child (of class `agent`) here, and is still followed live. */
  isLiveSinceDispatch(agent: string, runId: string): boolean {
    return this.#live.get(runId) === agent;
  }

  /**
   * Dispatch (or re-attach to) the child without awaiting it, under the
   * engine's own abort signal, never the turn's: the run must outlive this
   * turn. The same runId never starts a second child turn. Every settlement
   * of the promise is reported.
   *
   * On recovery, a child with no record of the run never received it (a
   * restart cut the dispatch short), and the SDK would only wait on it: so
   * the run is handed to the child first. The child's start is idempotent by
   * runId.
   */
  attach(ref: RunRef, recovering: boolean, attempt = 1): void {
    if (this.#live.has(ref.run_id)) return;
    if (!recovering) {
      emit(this.#c.source, "background:dispatched", () => ({
        taskId: ref.id,
        runId: ref.run_id,
        agent: ref.agent,
        attempt
      }));
    }
    const Child = this.#classFor(ref.agent);
    const input: unknown = JSON.parse(ref.input_json);
    this.#live.set(ref.run_id, recovering ? null : ref.agent);
    const stop = new AbortController();
    this.#stops.set(ref.run_id, stop);
    const run = (async (): Promise<RunAgentToolResult> => {
      if (recovering && (await this.inspect(ref, true)).kind === "none") {
        const child = (await this.#c.host.agent.dynamicAgents.get(
          Child,
          ref.run_id
        )) as unknown as ChildStub;
        await child.startAgentToolRun(input, { runId: ref.run_id });
        // Stopped while the child was taking the run: it has it now, so stop it there.
        if (stop.signal.aborted) await child.cancelAgentToolRun(ref.run_id, stop.signal.reason);
      }
      // A fresh run: the SDK stops the child once it has the run if the signal aborted meanwhile.
      return this.#c.host.agent.runAgentTool(Child, {
        input,
        runId: ref.run_id,
        signal: stop.signal
      });
    })();
    const settled = run
      .then(
        (result) => this.#settled(ref, { result, error: null }),
        (error: unknown) => this.#settled(ref, { result: null, error })
      )
      .catch((error: unknown) => logError("the fast path failed", error));
    this.#c.ctx.waitUntil(settled);
  }

  #settled(ref: RunRef, settlement: RunSettlement): Promise<void> {
    this.#live.delete(ref.run_id);
    this.#stops.delete(ref.run_id);
    return this.#onSettled(ref, settlement);
  }

  /**
   * A dispatch was rejected and the child has no record of the run. A child
   * restarted while the run was on its way rejects it too, and so may a retry
   * that races the restart: so the run is handed to it again (idempotent by
   * runId) after a growing pause, up to `MAX_DISPATCH_RETRIES` times; to the
   * child of a task given up as lost too, whose late result is still awaited.
   * Returns false when those are used up: a child that keeps refusing the run
   * (its start throws) ends a running task as failed.
   */
  retryDispatch(ref: RunRef): boolean {
    const done = this.#retries.get(ref.run_id) ?? 0;
    if (done >= MAX_DISPATCH_RETRIES) {
      this.#retries.delete(ref.run_id);
      return false;
    }
    this.#retries.set(ref.run_id, done + 1);
    this.#c.ctx.waitUntil(
      pause(RETRY_BASE_MS * 2 ** done).then(() => {
        // Only the same attempt of a task still waiting on it gets the run again.
        const current = this.#c.ledger.tasks.get(ref.id);
        if (current && awaitsRun(current, Date.now()) && current.run_id === ref.run_id) {
          this.attach(current, true);
        }
      })
    );
    return true;
  }

  /**
   * Ask the child how its run is. A call that throws is asked again after a
   * short pause, and reported as `error` (never as `none`) if it keeps failing.
   */
  async inspect(ref: Pick<TaskRow, "agent" | "run_id">, reconcile: boolean): Promise<Inspection> {
    for (let attempt = 0; ; attempt++) {
      try {
        const stub = await this.#existingChild(ref);
        if (!stub) return { kind: "none" };
        const run = await withTimeout(
          stub.inspectAgentToolRun(ref.run_id, { reconcile }),
          INSPECT_TIMEOUT_MS,
          "inspecting a child run"
        );
        return run ? { kind: "seen", run } : { kind: "none" };
      } catch (error) {
        const wait = INSPECT_RETRY_PAUSES_MS[attempt];
        if (wait === undefined) return { kind: "error", error };
        await pause(wait);
      }
    }
  }

  /**
   * Whether the run's turn ever began: a child is dedicated to one run, so
   * any message in its transcript means its model may have run and its
   * tools acted (a rerun could repeat that). Null when it cannot be read.
   */
  async turnBegan(ref: Pick<TaskRow, "agent" | "run_id">): Promise<boolean | null> {
    try {
      const stub = await this.#existingChild(ref);
      if (!stub) return false;
      return (await stub.getMessages()).length > 0;
    } catch {
      return null;
    }
  }

  /** The child's messages (drill-in), or null when there is no child. */
  async messages(ref: Pick<TaskRow, "agent" | "run_id">): Promise<unknown[] | null> {
    const stub = await this.#existingChild(ref);
    return stub ? stub.getMessages() : null;
  }

  /** Delete a run's child and its storage, if it exists. Never creates one. */
  async deleteChild(agent: string, runId: string): Promise<void> {
    const { dynamicAgents } = this.#c.host.agent;
    if (dynamicAgents.has(agent, runId)) await dynamicAgents.delete(this.#classFor(agent), runId);
  }

  /**
   * Stop a run: through its live dispatch (a run still on its way to the
   * child is stopped once the child has it), through the SDK (which keeps its
   * own run registry right) and at the child itself, which the SDK's cancel
   * no longer reaches once its record of the run has ended (a child
   * restarted alone leaves it so). Idempotent; a run that already ended is
   * left as it is.
   */
  async stop(ref: Pick<TaskRow, "agent" | "run_id">, reason: string): Promise<void> {
    // The live dispatch's signal only while the run is on its way: once the
    // child has it, the SDK answers an abort with a call into the child it
    // never awaits (a child restarted meanwhile makes that an unhandled
    // rejection), and the calls below stop the run there.
    if (this.#c.host.runsTaken([ref.run_id]).length === 0) {
      this.#stops.get(ref.run_id)?.abort(reason);
    }
    await this.#c.host.agent.cancelAgentTool(ref.run_id, reason).catch(() => undefined);
    try {
      const stub = await this.#existingChild(ref);
      await stub?.cancelAgentToolRun(ref.run_id, reason);
    } catch (error) {
      logError(`stopping ${ref.run_id} at its child failed`, error);
    }
    // Until the child says the run ended, the stop may not have taken: a
    // child without a record ignores it while a hand-over may still be on its
    // way (one a restart of the child cut short can arrive after the SDK
    // stopped waiting for it), and a child restarted mid-run can carry its
    // turn on in its own recovery. Watch it a while, and stop it again.
    if (!(await this.#ended(ref))) this.#c.ctx.waitUntil(this.#stopUntilEnded(ref, reason));
  }

  async #ended(ref: Pick<TaskRow, "agent" | "run_id">): Promise<boolean> {
    const seen = await this.inspect(ref, false);
    return seen.kind === "seen" && outcomeOf(seen.run) !== null;
  }

  async #stopUntilEnded(ref: Pick<TaskRow, "agent" | "run_id">, reason: string): Promise<void> {
    for (const wait of STOP_FOLLOW_PAUSES_MS) {
      await pause(wait);
      const seen = await this.inspect(ref, false);
      if (seen.kind !== "seen") continue;
      if (outcomeOf(seen.run) !== null) return;
      try {
        const stub = await this.#existingChild(ref);
        await stub?.cancelAgentToolRun(ref.run_id, reason);
      } catch (error) {
        logError(`stopping ${ref.run_id} at its child failed`, error);
      }
    }
  }

  /** The child of a run, if it exists. `has()` first: getting an unknown child would create it. */
  async #existingChild(ref: Pick<TaskRow, "agent" | "run_id">): Promise<ChildStub | null> {
    const { dynamicAgents } = this.#c.host.agent;
    if (!dynamicAgents.has(ref.agent, ref.run_id)) return null;
    return (await dynamicAgents.get(this.#classFor(ref.agent), ref.run_id)) as unknown as ChildStub;
  }

  #classFor(name: string): ChildClass {
    return this.#classes.get(name) ?? classNamed(name);
  }
}
