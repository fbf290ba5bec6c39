// A restart after a give-up as lost. Give-up is soft: the task stays open for
// its child's real result. Found by the fault campaign: a restart that lands
// after the give-up, while the child has still not recorded the run, is
// taken for an outcome (a child restarted alone ends the task `failed`, with
// a second notice for an error the child never had), or ends the run for
// good (after a restart of everything, nothing hands the run over again, so
// a late child's result never comes). And a late child restarted alone,
// while the parent lives on: its failed hand-over was retried only for a
// running task, so a task given up as lost never got its run again. And a
// late child whose run a restart cut before its turn began: only a running
// task was run again, so a task given up as lost never got its result. And
// only a running task was followed: once the parent's own re-attach gave up
// on a late run, or a restart cut a late hand-over while nothing else would
// wake the parent, the late result never came.
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import {
  noticesOf,
  pollingJobs,
  sleep,
  started,
  taskOf,
  testEnv,
  uniqueName,
  until
} from "./helpers";

/** Gives a run up as lost after one null inspection, with no grace. */
function strictParent(name = uniqueName("giveup")) {
  return getAgentByName(testEnv.StrictParent, name);
}

/** A strict parent whose SDK gives up re-attaching to a silent child after half a second. */
function quickReattachParent(name = uniqueName("quick")) {
  return getAgentByName(testEnv.QuickReattachParent, name);
}

type Parent =
  | Awaited<ReturnType<typeof strictParent>>
  | Awaited<ReturnType<typeof quickReattachParent>>;

type LateChild = "SlowStarter" | "LateCutBeforeTurn";

/**
 * A task whose child records the run 3 s late, given up as lost while the
 * child still waits. Its turn then takes `delayMs`.
 */
async function lateTaskGivenUp(
  p: Parent,
  child: LateChild = "SlowStarter",
  options: { rerun?: "always" | "never" } = {},
  delayMs = 100
) {
  const task = uniqueName("late");
  const r = started(await p.startTask(child, { task, startDelayMs: 3000, delayMs }, options));
  await until(
    () => taskOf(p, r.taskId),
    (t) => t?.status === "gave_up",
    15_000
  );
  expect(await p.inspectChild(child, r.runId)).toBeNull();
  return { ...r, task };
}

/**
 * A task given up as lost whose late child then records the run but never
 * begins its turn: a restart now makes the child seal the run as interrupted.
 */
async function lateRunCutGivenUp(p: Parent, options: { rerun?: "always" | "never" } = {}) {
  const r = await lateTaskGivenUp(p, "LateCutBeforeTurn", options);
  await until(
    () => p.inspectChild("LateCutBeforeTurn", r.runId),
    (seen) => seen !== null,
    10_000
  );
  return r;
}

/** The late result came after the give-up: two notices, and the task completed. */
async function expectLateResult(p: Parent, taskId: string) {
  const got = await until(
    () => noticesOf(p),
    (n) => n.length >= 2,
    20_000
  );
  expect(got.map((n) => n.status)).toEqual(["gave_up", "completed"]);
  expect((await taskOf(p, taskId))?.status).toBe("completed");
}

describe("a restart after a give-up as lost", () => {
  it("of a never-starting child alone: the task stays given up, with its one notice", async () => {
    const p = await strictParent();
    const r = started(await p.startTask("NeverStarts", { task: uniqueName("never") }));
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.status === "gave_up",
      15_000
    );
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(await p.restartChild("NeverStarts", r.runId)).toBe(true);
    // Time for whatever the restart sets off to land.
    await sleep(2000);
    await p.makeJobsDue();
    await sleep(1500);
    const task = await taskOf(p, r.taskId);
    expect({ status: task?.status, error: task?.error ?? null }).toEqual({
      status: "gave_up",
      error: null
    });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["gave_up"]);
  });

  it("of a late child alone, before it recorded the run: the run is handed over again and its result delivered", async () => {
    const p = await strictParent();
    const r = await lateTaskGivenUp(p);
    // The child alone restarts: the parent, alive, sees its hand-over fail.
    expect(await p.restartChild("SlowStarter", r.runId)).toBe(true);
    await expectLateResult(p, r.taskId);
  });

  it("of a late child alone, after it recorded the run but before its turn began: run again, its result delivered", async () => {
    const p = await strictParent();
    const r = await lateRunCutGivenUp(p);
    expect(await p.restartChild("LateCutBeforeTurn", r.runId)).toBe(true);
    await expectLateResult(p, r.taskId);
    expect(await taskOf(p, r.taskId)).toMatchObject({ attempts: 2, error: null });
    // The work was done once: the second attempt's child called its model once.
    expect((await p.childStats(r.task)).calls).toBe(1);
  });

  it("of everything, after a late child recorded the run but before its turn began: run again, its result delivered", async () => {
    const name = uniqueName("late-cut");
    const r = await lateRunCutGivenUp(await strictParent(name));
    await abortAllDurableObjects();
    const p = await strictParent(name);
    await expectLateResult(p, r.taskId);
    expect(await taskOf(p, r.taskId)).toMatchObject({ attempts: 2, error: null });
    expect((await p.childStats(r.task)).calls).toBe(1);
  });

  it('of a late child alone, its run cut before its turn, with rerun "never": the task stays given up, with its one notice', async () => {
    const p = await strictParent();
    const r = await lateRunCutGivenUp(p, { rerun: "never" });
    expect(await p.restartChild("LateCutBeforeTurn", r.runId)).toBe(true);
    // Time for the child to seal the run and the parent to hear of it.
    await until(
      async () => (await p.inspectChild("LateCutBeforeTurn", r.runId)) as { status: string } | null,
      (seen) => seen?.status === "error",
      10_000
    );
    await sleep(1500);
    await p.makeJobsDue();
    await sleep(1500);
    expect(await taskOf(p, r.taskId)).toMatchObject({
      status: "gave_up",
      attempts: 1,
      error: null
    });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["gave_up"]);
    // Its run is over: after one more tick nothing follows it, and the parent is not woken for it.
    await p.makeJobsDue();
    await runDurableObjectAlarm(p as unknown as DurableObjectStub);
    expect(await pollingJobs(p)).toEqual([]);
  });

  it("of everything, before a late child recorded the run: the run is handed over again and its result delivered", async () => {
    const name = uniqueName("late");
    const r = await lateTaskGivenUp(await strictParent(name));
    await abortAllDurableObjects();
    await expectLateResult(await strictParent(name), r.taskId);
  });

  it("of everything, before a late child recorded the run, with nothing else to wake the parent: its own job wakes it, and the result is delivered", async () => {
    const name = uniqueName("late-asleep");
    const p = await strictParent(name);
    const r = await lateTaskGivenUp(p);
    // The give-up's notice is in the chat: nothing is owed, nothing runs.
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await abortAllDurableObjects();
    // Nothing calls the parent now. The child's work is watched through
    // another object (the test children count their model calls per isolate).
    const other = await strictParent();
    const worked = await until(
      () => other.childStats(r.task),
      (stats) => stats.calls > 0,
      15_000
    );
    expect(worked.calls).toBe(1);
    await expectLateResult(await strictParent(name), r.taskId);
  });

  it("of everything, after a late child recorded the run, when the SDK's own re-attach gives up on it: the run is followed to its end and its result delivered", async () => {
    const name = uniqueName("late-quick");
    const p = await quickReattachParent(name);
    // The child's model takes 4 s: the SDK's half-second re-attach gives up while it runs.
    const r = await lateTaskGivenUp(p, "SlowStarter", {}, 4000);
    // Its turn has begun (a restart before that is fault 10's path: a rerun).
    await until(
      () => p.childStats(r.task),
      (stats) => stats.calls > 0,
      10_000
    );
    await abortAllDurableObjects();
    const after = await quickReattachParent(name);
    await expectLateResult(after, r.taskId);
    expect(await taskOf(after, r.taskId)).toMatchObject({ attempts: 1, error: null });
  });
});
