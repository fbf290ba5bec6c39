// The task state machine: which event may move a task from which status, and
// which notice slot it opens. Pure, so the rules are tested in plain Node; the
// ledger applies them with guarded UPDATEs so a lost race changes nothing.

import type { GiveUpReason, TaskNoticeSlot, TaskStatus } from "./status";

/** What a child's run ended as, as far as the parent can tell. */
export type ChildOutcome =
  | { kind: "completed"; summary: string; output?: unknown }
  | { kind: "error"; error: string }
  | { kind: "aborted"; error?: string };

/** An event that can start, end or re-end a task. */
export type TaskEvent =
  | { type: "start" }
  | { type: "outcome"; outcome: ChildOutcome; stoppedByEngine: boolean }
  | { type: "give-up" }
  | { type: "cancel" };

export type Transition = { to: TaskStatus; slot: TaskNoticeSlot | null } | { to: null; slot: null };

const NONE: Transition = { to: null, slot: null };

/** The statuses each event may move a task from. */
export function allowedFrom(event: TaskEvent["type"]): readonly TaskStatus[] {
  switch (event) {
    case "start":
      return ["scheduled", "waiting"];
    case "outcome":
      return ["running", "gave_up"];
    case "give-up":
      return ["running"];
    case "cancel":
      return ["scheduled", "waiting", "running"];
  }
}

/**
 * Where `event` takes a task in `from`, and which notice slot it opens.
 *
 * - A real result is accepted while running and after a give-up (give-up is
 *   soft: a late result is still delivered, in its own slot).
 * - An abort the engine caused itself (budget give-up or cancel) is never
 *   reported as a result: the give-up or cancel notice already said it.
 * - Give-up applies to a running task; cancel also to one not started yet.
 */
export function transition(from: TaskStatus, event: TaskEvent): Transition {
  if (!allowedFrom(event.type).includes(from)) return NONE;
  switch (event.type) {
    case "start":
      return { to: "running", slot: null };
    case "outcome": {
      const { outcome } = event;
      if (outcome.kind === "aborted" && event.stoppedByEngine) return NONE;
      return { to: outcome.kind === "completed" ? "completed" : "failed", slot: "result" };
    }
    case "give-up":
      return { to: "gave_up", slot: "gave_up" };
    case "cancel":
      return { to: "cancelled", slot: "cancelled" };
  }
}

const TERMINAL_CHILD = new Set(["completed", "error", "aborted"]);

/** A run's outcome, when what the child (or the SDK) reports of it is terminal. */
export function outcomeOf(
  seen: { status: string; summary?: string; output?: unknown; error?: string } | null
): ChildOutcome | null {
  if (!seen || !TERMINAL_CHILD.has(seen.status)) return null;
  if (seen.status === "completed") {
    return { kind: "completed", summary: seen.summary ?? "", output: seen.output };
  }
  if (seen.status === "error") return { kind: "error", error: seen.error ?? "the child failed" };
  return seen.error === undefined ? { kind: "aborted" } : { kind: "aborted", error: seen.error };
}

/**
 * What a chat child (Think, AIChatAgent) seals a run with when a restart cut
 * it short and its own chat recovery could not carry it on: the run's turn
 * never reached the model, or recovery gave up, or the turn was skipped.
 */
const INTERRUPTED_RUN = /^Agent tool run was (interrupted|skipped) before the child could finish/;

/** Whether an outcome is a restart cutting the run short, not the child's own end. */
export function isInterruption(outcome: ChildOutcome): outcome is ChildOutcome & { kind: "error" } {
  return outcome.kind === "error" && INTERRUPTED_RUN.test(outcome.error);
}

/**
 * Whether a task still waits on its child's run at `now`: running, or given
 * up as lost within its budget (soft: the child may never have had the run,
 * and a late child still gets it, as recovery does after a restart). A task
 * given up at its budget had its child stopped.
 */
export function awaitsRun(
  row: {
    status: TaskStatus;
    give_up_reason: GiveUpReason | null;
    started_at: number | null;
    created_at: number;
    budget_ms: number;
  },
  now: number
): boolean {
  if (row.status === "running") return true;
  return (
    row.status === "gave_up" &&
    row.give_up_reason === "lost" &&
    now < (row.started_at ?? row.created_at) + row.budget_ms
  );
}
