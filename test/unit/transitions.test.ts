import { describe, expect, it } from "vitest";
import { TASK_STATUSES, type TaskStatus } from "../../src/engine/status";
import { awaitsRun, type TaskEvent, transition } from "../../src/engine/transitions";

const completed: TaskEvent = {
  type: "outcome",
  outcome: { kind: "completed", summary: "ok" },
  stoppedByEngine: false
};
const errored: TaskEvent = {
  type: "outcome",
  outcome: { kind: "error", error: "boom" },
  stoppedByEngine: false
};
const abortedByUs: TaskEvent = {
  type: "outcome",
  outcome: { kind: "aborted" },
  stoppedByEngine: true
};
const abortedElsewhere: TaskEvent = { ...abortedByUs, stoppedByEngine: false };

describe("transition", () => {
  it("a running task ends with its outcome in the result slot", () => {
    expect(transition("running", completed)).toEqual({ to: "completed", slot: "result" });
    expect(transition("running", errored)).toEqual({ to: "failed", slot: "result" });
  });

  it("a give-up is soft: a late real result is still accepted, in its own slot", () => {
    expect(transition("running", { type: "give-up" })).toEqual({ to: "gave_up", slot: "gave_up" });
    expect(transition("gave_up", completed)).toEqual({ to: "completed", slot: "result" });
    expect(transition("gave_up", errored)).toEqual({ to: "failed", slot: "result" });
  });

  it("an abort the engine caused is never reported as a result", () => {
    expect(transition("running", abortedByUs)).toEqual({ to: null, slot: null });
    expect(transition("gave_up", abortedByUs)).toEqual({ to: null, slot: null });
  });

  it("an abort nobody here asked for is a failure", () => {
    expect(transition("running", abortedElsewhere)).toEqual({ to: "failed", slot: "result" });
  });

  it("give-up applies only to a running task; cancel also to one not started yet", () => {
    for (const status of TASK_STATUSES) {
      const cancel = transition(status, { type: "cancel" });
      const giveUp = transition(status, { type: "give-up" });
      expect(giveUp.to).toBe(status === "running" ? "gave_up" : null);
      const cancellable = ["scheduled", "waiting", "running"].includes(status);
      expect(cancel).toEqual(
        cancellable ? { to: "cancelled", slot: "cancelled" } : { to: null, slot: null }
      );
    }
  });

  it("only a task not started yet can start, and starting opens no notice", () => {
    for (const status of TASK_STATUSES) {
      const start = transition(status, { type: "start" });
      expect(start).toEqual(
        ["scheduled", "waiting"].includes(status)
          ? { to: "running", slot: null }
          : { to: null, slot: null }
      );
    }
  });

  it("a task not started yet takes no outcome", () => {
    expect(transition("scheduled", completed).to).toBeNull();
    expect(transition("waiting", errored).to).toBeNull();
  });

  it("a finished task takes no second outcome", () => {
    const finished: TaskStatus[] = ["completed", "failed", "cancelled"];
    for (const status of finished) {
      expect(transition(status, completed).to).toBeNull();
      expect(transition(status, errored).to).toBeNull();
    }
  });
});

describe("awaitsRun", () => {
  it("a running task, or one given up as lost within its budget, still waits on its run; nothing else does", () => {
    const now = 10_000;
    const waits = (status: TaskStatus, reason: "lost" | "budget" | null = null, budgetMs = 5000) =>
      awaitsRun(
        { status, give_up_reason: reason, started_at: 6000, created_at: 5000, budget_ms: budgetMs },
        now
      );
    expect(waits("running")).toBe(true);
    expect(waits("gave_up", "lost")).toBe(true);
    // Its budget spent (from its start): the late child gets no run any more.
    expect(waits("gave_up", "lost", 4000)).toBe(false);
    // At its budget the engine stopped the child: nothing to hand over again.
    expect(waits("gave_up", "budget")).toBe(false);
    const others = TASK_STATUSES.filter((s) => s !== "running" && s !== "gave_up");
    expect(others.map((s) => waits(s, "lost"))).toEqual(others.map(() => false));
  });
});
