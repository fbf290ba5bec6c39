// What a campaign task is asked to do, and what must come of it. The plan
// fixes the intended outcome before any fault is injected; the checker holds
// the task to it, never to whatever the child happened to end with.

import type { ChildInput, ChildName } from "../worker/index";
import type { Rng } from "./rng";

/**
 * The outcomes a task can be planned for:
 * - `completed`: the child answers after a while;
 * - `error`: the child's turn fails;
 * - `cancelled`: cancelled long before the child could end;
 * - `cancel-race`: cancelled about when the child ends: either may win;
 * - `budget`: the child runs far past a short budget;
 * - `never`: the child never records the run;
 * - `late`: the child records the run after the engine may have given it up;
 * - `dep-cancelled`: its dependency (`after`) fails, so it never starts.
 */
export const OUTCOMES = [
  "completed",
  "error",
  "cancelled",
  "cancel-race",
  "budget",
  "never",
  "late",
  "dep-cancelled"
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The error a child planned to fail fails with. */
export const PLANNED_ERROR = "chaos: boom";
/**
 * Far longer than a round: a child that runs this long is only ever
 * stopped. (A fleet of 400 children saturates the runtime: timers, the
 * harness's included, then fire many seconds late.)
 */
const LONG_MS = 120_000;

export type TaskPlan = {
  /** Idempotency key, unique in the campaign; also the child's task name. */
  key: string;
  outcome: Outcome;
  child: ChildName;
  input: ChildInput;
  budgetMs?: number;
  /** Cancel this long after the round's tasks were started. */
  cancelAtMs?: number;
  /** The key of the task this one runs after (a chain). */
  after?: string;
  /** An item of a batch delivered "all": it has no notice of its own. */
  silent?: boolean;
};

/** A plan for one task with `outcome`. */
export function planTask(outcome: Outcome, key: string, r: Rng): TaskPlan {
  const input = (extra: Omit<ChildInput, "task">): ChildInput => ({ task: key, ...extra });
  switch (outcome) {
    case "completed":
      return { key, outcome, child: "Worker", input: input({ delayMs: r.int(100, 1500) }) };
    case "error":
      return {
        key,
        outcome,
        child: "Worker",
        input: input({ fail: PLANNED_ERROR, delayMs: r.int(50, 800) })
      };
    case "cancelled":
      return {
        key,
        outcome,
        child: "Worker",
        input: input({ delayMs: LONG_MS }),
        cancelAtMs: r.int(200, 1500)
      };
    case "cancel-race": {
      // The child's turn begins a few hundred ms after the start and ends
      // `delay` later: the cancel lands on either side of that end.
      const delay = r.int(300, 900);
      return {
        key,
        outcome,
        child: "Worker",
        input: input({ delayMs: delay }),
        cancelAtMs: delay + r.int(-100, 500)
      };
    }
    case "budget":
      return {
        key,
        outcome,
        child: "Worker",
        input: input({ delayMs: LONG_MS }),
        budgetMs: r.int(1000, 2500)
      };
    case "never":
      return { key, outcome, child: "NeverStarts", input: input({}) };
    case "late":
      // Records the run after the chaos parent's grace (2.5 s) for lost runs.
      return {
        key,
        outcome,
        child: "SlowStarter",
        input: input({ startDelayMs: 4500, delayMs: 100 })
      };
    case "dep-cancelled":
      return { key, outcome, child: "Worker", input: input({ delayMs: r.int(100, 600) }) };
  }
}

/**
 * What cancel() answered, after as many calls as a restart took; when it was
 * asked (ms after the task's start returned) and how long the calls took.
 */
export type CancelReply = {
  outcome: string;
  status?: string;
  calls: number;
  askedAfterMs: number;
  ms: number;
};

/** What the campaign saw of a task at the end. */
export type Seen = {
  status: string;
  giveUpReason: string | null;
  cancelReason: string | null;
  error: string | null;
  summary: string | null;
  /** Null when the plan cancels and no call was ever answered. */
  cancel?: CancelReply | null;
  /** The child's own status of its current run, when read. */
  child?: string | null;
};

/**
 * The intended outcome, held against what was seen: the notices the chat
 * must hold for the task (each exactly once), and why the outcome is wrong
 * (null when it is the one planned). Where a plan allows two outcomes (a
 * cancel racing the child's end, a premature give-up), what the engine
 * answered or recorded says which one happened, and the rest must agree.
 */
export function intended(plan: TaskPlan, seen: Seen): { notices: string[]; wrong: string | null } {
  const got = `ended ${seen.status}${seen.error ? ` (${seen.error})` : seen.giveUpReason ? ` (${seen.giveUpReason})` : ""}`;
  const notices = (statuses: string[]) => (plan.silent ? [] : statuses);
  switch (plan.outcome) {
    case "completed":
      return {
        notices: notices(["completed"]),
        wrong:
          seen.status === "completed" && seen.summary?.includes(`RESULT for ${plan.key}`)
            ? null
            : `${got}, planned to complete`
      };
    case "error":
      return {
        notices: notices(["failed"]),
        wrong:
          seen.status === "failed" && seen.error?.includes(PLANNED_ERROR)
            ? null
            : `${got}, planned to fail with "${PLANNED_ERROR}"`
      };
    case "cancelled": {
      const reply = seen.cancel;
      // "already-finished: cancelled" is right only when an earlier call's answer was lost.
      const answered =
        reply?.outcome === "cancelled" ||
        (reply?.outcome === "already-finished" && reply.status === "cancelled" && reply.calls > 1);
      const wrong =
        seen.status !== "cancelled"
          ? `${got}, planned to be cancelled`
          : !answered
            ? `cancel answered ${reply ? `${reply.outcome}/${reply.status ?? ""}` : "nothing"}`
            : stillRunning(seen.child);
      return { notices: notices(["cancelled"]), wrong };
    }
    case "cancel-race": {
      const reply = seen.cancel;
      if (!reply) return { notices: notices([seen.status]), wrong: "cancel was never answered" };
      const winner = reply.outcome === "cancelled" ? "cancelled" : (reply.status ?? "?");
      if (winner === "cancelled") {
        const late = reply.outcome === "already-finished" && reply.calls === 1;
        return {
          notices: notices(["cancelled"]),
          wrong:
            seen.status !== "cancelled"
              ? `${got}, but cancel answered it was cancelled`
              : late
                ? "cancel answered already-finished/cancelled on its first call"
                : stillRunning(seen.child)
        };
      }
      return {
        notices: notices(["completed"]),
        wrong:
          winner !== "completed"
            ? `cancel answered ${reply.outcome}/${winner}, allowed: cancelled or completed`
            : seen.status !== "completed"
              ? `${got}, but cancel answered the child had completed`
              : null
      };
    }
    case "budget":
      if (seen.status === "gave_up" && seen.giveUpReason === "budget") {
        return { notices: notices(["gave_up"]), wrong: stillRunning(seen.child) };
      }
      // A late real result after the give-up, only if the child really finished.
      if (seen.status === "completed" && seen.child === "completed") {
        return { notices: notices(["gave_up", "completed"]), wrong: null };
      }
      return {
        notices: notices(["gave_up"]),
        wrong: `${got}, planned to be given up at its budget`
      };
    case "never":
      return {
        notices: notices(["gave_up"]),
        wrong:
          seen.status === "gave_up" && seen.giveUpReason === "lost"
            ? null
            : `${got}, planned to be given up as lost`
      };
    case "late": {
      // A premature give-up is allowed; the late result must still come.
      const gaveUp = seen.giveUpReason === "lost" ? ["gave_up"] : [];
      return {
        notices: notices([...gaveUp, "completed"]),
        wrong:
          seen.status === "completed" && seen.summary?.includes(`RESULT for ${plan.key}`)
            ? null
            : `${got}, planned to complete late`
      };
    }
    case "dep-cancelled":
      return {
        notices: notices(["cancelled"]),
        wrong:
          seen.status === "cancelled" && seen.cancelReason?.includes("dependency")
            ? null
            : `${got}, planned to be cancelled by its failed dependency`
      };
  }
}

/** A task stopped by the engine must have its child stopped too. */
function stillRunning(child: string | null | undefined): string | null {
  return child === "running" || child === "starting" ? `its child is still ${child}` : null;
}

/** Plans whose child's work must be done: a wrong outcome there is lost work. */
export function promisesWork(plan: TaskPlan): boolean {
  return plan.outcome === "completed" || plan.outcome === "late";
}

/** Plans whose child the engine stops: the campaign reads the child's own status. */
export function stopsChild(plan: TaskPlan): boolean {
  return (
    plan.outcome === "cancelled" || plan.outcome === "cancel-race" || plan.outcome === "budget"
  );
}
