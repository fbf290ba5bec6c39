// Stopping a child (a cancel, a budget give-up) around a restart, or before
// the child has recorded its run. Found by the fault campaign: a restart that
// cuts a cancel short ends the task `failed`, as if the child had an error,
// instead of cancelled; after a child alone was restarted, and when a cancel
// lands before the child recorded the run, cancel answers that it stopped
// the child while the child runs on; and a restart between a budget stop and
// its give-up leaves the task running, its backbone armed, for good.
import { abortAllDurableObjects } from "cloudflare:test";
import { getAgentByName } from "agents";
import { runBackbone } from "agents-background/testing";
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

function reopen(name: string) {
  return getAgentByName(testEnv.TestParent, name);
}

type Seen = { status: string } | null;

describe("a stop and a restart", () => {
  it("a restart in the middle of a cancel: the task ends cancelled, with one cancelled notice", async () => {
    const name = uniqueName("stop-cut");
    let p = await reopen(name);
    // SlowStop records its run, never begins its turn, and takes 1.5 s to stop.
    const r = started(await p.startTask("SlowStop", { task: uniqueName("t"), delayMs: 10_000 }));
    await until(
      () => p.inspectChild("SlowStop", r.runId),
      (seen) => seen !== null
    );
    const first = p.cancelTask(r.taskId).catch(() => null);
    await sleep(300); // the cancel is stopping the child
    await abortAllDurableObjects();
    await first;
    p = await reopen(name);
    await sleep(2000);
    // The caller whose cancel was cut short asks again.
    // Either this call cancels it, or it says the task already ended cancelled.
    const again = await p.cancelTask(r.taskId);
    expect("status" in again ? again.status : again.outcome).toBe("cancelled");
    await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      10_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    const task = await taskOf(p, r.taskId);
    expect({ status: task?.status, error: task?.error ?? null }).toEqual({
      status: "cancelled",
      error: null
    });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a cancel after the child alone was restarted mid-run: the child is stopped", async () => {
    const p = await reopen(uniqueName("stop-child"));
    const task = uniqueName("t");
    const r = started(await p.startTask("Worker", { task, delayMs: 6000 }));
    await until(
      async () => (await p.inspectChild("Worker", r.runId)) as Seen,
      (seen) => seen?.status === "running"
    );
    expect(await p.restartChild("Worker", r.runId)).toBe(true);
    // The child takes its turn up again after the restart.
    await until(
      async () => (await p.inspectChild("Worker", r.runId)) as Seen,
      (seen) => seen?.status === "running"
    );
    await sleep(500);
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    await sleep(500);
    const child = (await p.inspectChild("Worker", r.runId, true)) as Seen;
    expect(child?.status).toBe("aborted");
    // Had it not been stopped, it would finish its work by now.
    await sleep(6500);
    expect(((await p.inspectChild("Worker", r.runId, true)) as Seen)?.status).toBe("aborted");
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a cancel while the run is still on its way to the child: the child never runs it", async () => {
    const p = await reopen(uniqueName("stop-early"));
    // SlowStarter takes 1.5 s to record the run; the cancel lands before that.
    const r = started(
      await p.startTask("SlowStarter", {
        task: uniqueName("t"),
        startDelayMs: 1500,
        delayMs: 30_000
      })
    );
    await sleep(300);
    expect(await p.inspectChild("SlowStarter", r.runId)).toBeNull();
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    await sleep(3000);
    // The child took the run after the cancel: it must not be running it.
    const child = (await p.inspectChild("SlowStarter", r.runId, true)) as Seen;
    expect(child?.status ?? "no run").toMatch(/^(no run|aborted)$/);
  });

  it("a cancel before the child recorded a run whose start never answers: the child is stopped once it has the run", async () => {
    const p = await reopen(uniqueName("stop-unanswered"));
    // The SDK waits on the start for good, so it never learns the child has the run.
    const r = started(
      await p.startTask("SlowStarter", {
        task: uniqueName("t"),
        startDelayMs: 1000,
        hangAfterStart: true,
        delayMs: 30_000
      })
    );
    await sleep(300);
    expect(await p.inspectChild("SlowStarter", r.runId)).toBeNull();
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    const child = await until(
      async () => (await p.inspectChild("SlowStarter", r.runId)) as Seen,
      (seen) => seen?.status === "aborted",
      8000
    );
    expect(child?.status).toBe("aborted");
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a cancel while a restart's recovery is handing the run over again: the child never runs it", async () => {
    const name = uniqueName("stop-rehand");
    let p = await reopen(name);
    const r = started(
      await p.startTask("SlowStarter", {
        task: uniqueName("t"),
        startDelayMs: 1500,
        delayMs: 30_000
      })
    );
    await sleep(200);
    await abortAllDurableObjects(); // the hand-over is cut; recovery hands the run over again
    p = await reopen(name);
    await sleep(300);
    expect(await p.inspectChild("SlowStarter", r.runId)).toBeNull();
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    await sleep(3000);
    const child = (await p.inspectChild("SlowStarter", r.runId, true)) as Seen;
    expect(child?.status ?? "no run").toMatch(/^(no run|aborted)$/);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a cancel whose child answers the stop slowly: the run's end does not take the cancel's answer", async () => {
    const p = await reopen(uniqueName("stop-slow-reply"));
    // SlowStopReply stops at once, so the run ends while the cancel still waits on the child.
    const r = started(
      await p.startTask("SlowStopReply", { task: uniqueName("t"), delayMs: 60_000 })
    );
    await until(
      async () => (await p.inspectChild("SlowStopReply", r.runId)) as Seen,
      (seen) => seen?.status === "running"
    );
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    const notices = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(notices.map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a cancel that lands as its child restarts: the task is cancelled, with one notice, and nothing is left unhandled", async () => {
    const p = await reopen(uniqueName("stop-restarted-child"));
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 60_000 }));
    // The child has the run, and the SDK is following it.
    await until(
      async () => (await p.inspectChild("Worker", r.runId)) as Seen,
      (seen) => seen?.status === "running"
    );
    await until(
      () => p.sdkRuns(),
      (runs) => runs.some((run) => run.run_id === r.runId && run.status === "running")
    );
    expect(await p.restartChildAndCancel("Worker", r.runId, r.taskId)).toEqual({
      outcome: "cancelled",
      taskId: r.taskId
    });
    const notices = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1500); // an unhandled rejection would surface meanwhile, failing the run
    expect(notices.map((n) => n.status)).toEqual(["cancelled"]);
    expect((await noticesOf(p)).length).toBe(1);
  });

  it("a cancel while a backbone look begun before it is still waiting on the child: the look does not take the stop for the child's error", async () => {
    const p = await reopen(uniqueName("stop-stale-look"));
    await p.recordEvents();
    // SlowInspect answers each inspection 1.5 s late, with what the run is by
    // then; the SDK never hears that it took the run, so the backbone asks.
    const r = started(
      await p.startTask("SlowInspect", {
        task: uniqueName("t"),
        delayMs: 60_000,
        hangAfterStart: true
      })
    );
    await sleep(1200); // past the first look a live run gets (the backbone will inspect it)
    const tick = runBackbone(p);
    await sleep(300); // the tick's inspection is under way
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    await tick;
    // The tick did look at the run, its answer arriving after the stop.
    const looks = (
      (await p.events()) as { type: string; payload: { inspected?: number } }[]
    ).filter((e) => e.type === "background:tick" && (e.payload.inspected ?? 0) > 0);
    expect(looks.length).toBeGreaterThan(0);
    const notices = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1000);
    const task = await taskOf(p, r.taskId);
    expect({ status: task?.status, error: task?.error ?? null }).toEqual({
      status: "cancelled",
      error: null
    });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
    expect(notices.length).toBe(1);
  });

  it("a restart between a budget stop and its give-up: the task is given up, with one notice", async () => {
    const name = uniqueName("stop-budget");
    let p = await reopen(name);
    // SlowStopReply stops at once but answers the stop 1.5 s later.
    const r = started(
      await p.startTask(
        "SlowStopReply",
        { task: uniqueName("t"), delayMs: 60_000 },
        { budgetMs: 1500 }
      )
    );
    await until(
      async () => (await p.inspectChild("SlowStopReply", r.runId)) as Seen,
      (seen) => seen?.status === "aborted",
      10_000
    );
    expect((await taskOf(p, r.taskId))?.status).toBe("running"); // the give-up is not written yet
    await abortAllDurableObjects();
    p = await reopen(name);
    for (let i = 0; i < 4; i++) {
      await sleep(1500);
      await runBackbone(p);
    }
    const task = await until(
      () => taskOf(p, r.taskId),
      (t) => t?.status !== "running",
      5000
    );
    expect({ status: task?.status, reason: task?.giveUpReason ?? null }).toEqual({
      status: "gave_up",
      reason: "budget"
    });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["gave_up"]);
    await until(
      () => pollingJobs(p),
      (jobs) => jobs.length === 0,
      5000
    );
    expect(await pollingJobs(p)).toEqual([]);
  });
});
