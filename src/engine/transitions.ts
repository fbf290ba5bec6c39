// The task state machine: which outcome may move a task from which status.
// Pure, so the rules are tested in plain Node; the ledger applies them with
// guarded UPDATEs so a lost race changes nothing.

import type { NoticeSlot, TaskStatus } from "./status";

/** What a child's run ended as, as far as the parent can tell. */
export type ChildOutcome =
  | { kind: "completed"; summary: string; output?: unknown }
  | { kind: "error"; error: string }
  | { kind: "aborted"; error?: string };

/** An event that can end (or re-end) a task. */
export type TaskEvent =
  | { type: "outcome"; outcome: ChildOutcome; stoppedByEngine: boolean }
  | { type: "give-up" }
  | { type: "cancel" };

export type Transition = { to: TaskStatus; slot: NoticeSlot } | { to: null; slot: null };

const NONE: Transition = { to: null, slot: null };

/**
 * Where `event` takes a task in `from`, and which notice slot it fills.
 *
 * - A real result is accepted while running and after a give-up (give-up is
 *   soft: a late result is still delivered, in its own slot).
 * - An abort the engine caused itself (budget give-up or cancel) is never
 *   reported as a result: the give-up or cancel notice already said it.
 * - Give-up and cancel only apply to a task that is still running.
 */
export function transition(from: TaskStatus, event: TaskEvent): Transition {
  switch (event.type) {
    case "outcome": {
      if (from !== "running" && from !== "gave_up") return NONE;
      const { outcome } = event;
      if (outcome.kind === "aborted" && event.stoppedByEngine) return NONE;
      return { to: outcome.kind === "completed" ? "completed" : "failed", slot: "result" };
    }
    case "give-up":
      return from === "running" ? { to: "gave_up", slot: "gave_up" } : NONE;
    case "cancel":
      return from === "running" ? { to: "cancelled", slot: "cancelled" } : NONE;
  }
}
