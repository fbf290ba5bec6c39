import { describe, expect, it } from "vitest";
import { TASK_STATUSES, type TaskStatus } from "../../src/engine/status";
import { type TaskEvent, transition } from "../../src/engine/transitions";

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

  it("cancel and give-up apply only to a running task", () => {
    for (const status of TASK_STATUSES) {
      const cancel = transition(status, { type: "cancel" });
      const giveUp = transition(status, { type: "give-up" });
      if (status === "running") {
        expect(cancel.to).toBe("cancelled");
        expect(giveUp.to).toBe("gave_up");
      } else {
        expect(cancel.to).toBeNull();
        expect(giveUp.to).toBeNull();
      }
    }
  });

  it("a finished task takes no second outcome", () => {
    const finished: TaskStatus[] = ["completed", "failed", "cancelled"];
    for (const status of finished) {
      expect(transition(status, completed).to).toBeNull();
      expect(transition(status, errored).to).toBeNull();
    }
  });
});
