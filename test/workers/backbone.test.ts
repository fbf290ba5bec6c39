// The backbone: null inspections tolerated up to N, lost and budget
// give-ups (soft: a late result is still delivered), racing the fast path,
// and no job left behind once nothing is outstanding.
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import {
  noticesOf,
  parent,
  pollingJobs,
  sleep,
  started,
  taskOf,
  testEnv,
  uniqueName,
  until
} from "./helpers";

type Ticking = { makeJobsDue(): Promise<number> };

/** Run the backbone once, now. */
async function tick(p: Ticking & Rpc.DurableObjectBranded) {
  await p.makeJobsDue();
  await runDurableObjectAlarm(p as unknown as DurableObjectStub);
}

async function backboneJobs(p: { jobs(): Promise<{ callback: string; time: number }[]> }) {
  return (await p.jobs()).filter((job) => job.callback === "backgroundTick");
}

describe("null inspections", () => {
  it("fewer than N nulls, then completion: a result and no give-up", async () => {
    const p = await getAgentByName(testEnv.ThresholdParent, uniqueName("nulls"));
    const r = started(
      await p.startTask("SlowStarter", { task: uniqueName("late"), startDelayMs: 1500 })
    );
    await tick(p);
    await tick(p);
    const before = await taskOf(p, r.taskId);
    expect(before?.status).toBe("running");
    expect(before?.inspections).toBe(2);
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(500);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["completed"]);
  });

  it("N nulls from a child that never got the run: one lost give-up; its late run is followed within its budget, then the backbone stops", async () => {
    const p = await getAgentByName(testEnv.ThresholdParent, uniqueName("lost"));
    const budgetMs = 8000;
    const r = started(
      await p.startTask("NeverStarts", { task: uniqueName("never") }, { budgetMs })
    );
    await tick(p);
    await tick(p);
    expect((await taskOf(p, r.taskId))?.status).toBe("running");
    expect(await noticesOf(p)).toHaveLength(0);
    await tick(p);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(got).toHaveLength(1);
    expect(got[0]?.status).toBe("gave_up");
    expect(got[0]?.text).toContain("given up as lost");
    const task = await taskOf(p, r.taskId);
    expect(task?.status).toBe("gave_up");
    expect(task?.giveUpReason).toBe("lost");
    // Give-up is soft: within its budget a late result may come, and a
    // restart may cut its hand-over, so the backbone still wakes the parent.
    expect(await pollingJobs(p)).toHaveLength(1);
    // Later ticks never give it up a second time.
    await tick(p);
    await sleep(300);
    expect(await noticesOf(p)).toHaveLength(1);
    // Past its budget nothing waits on it: the backbone stops.
    await sleep(Math.max(0, (task?.createdAt ?? 0) + budgetMs - Date.now()));
    await tick(p);
    expect(await pollingJobs(p)).toHaveLength(0);
    expect(await noticesOf(p)).toHaveLength(1);
    expect((await taskOf(p, r.taskId))?.status).toBe("gave_up");
  });
});

describe("give-up", () => {
  it("past its budget: the child is stopped, one give-up notice, no notice of the abort", async () => {
    const p = await parent();
    const r = started(
      await p.startTask("Worker", { task: uniqueName("long"), delayMs: 10_000 }, { budgetMs: 1500 })
    );
    // The backbone fires on its own at the budget.
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      8000
    );
    expect(got[0]?.status).toBe("gave_up");
    expect(got[0]?.text).toContain("budget");
    const child = (await p.inspectChild("Worker", r.runId)) as { status: string } | null;
    expect(child?.status).toBe("aborted");
    await sleep(1500);
    await tick(p);
    await sleep(500);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["gave_up"]);
    const task = await taskOf(p, r.taskId);
    expect(task?.status).toBe("gave_up");
    expect(task?.giveUpReason).toBe("budget");
    // One notice, one model turn.
    expect((await p.modelLog()).filter((c) => c.text.includes(r.taskId))).toHaveLength(1);
    expect(await pollingJobs(p)).toHaveLength(0);
  });

  it("a premature give-up does not hide the real result: one give-up notice, then one result notice", async () => {
    const p = await getAgentByName(testEnv.StrictParent, uniqueName("soft"));
    const r = started(
      await p.startTask("SlowStarter", {
        task: uniqueName("late"),
        startDelayMs: 2500,
        delayMs: 100
      })
    );
    const gaveUp = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(gaveUp.map((n) => n.status)).toEqual(["gave_up"]);
    const both = await until(
      () => noticesOf(p),
      (n) => n.length > 1
    );
    await sleep(1000);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["gave_up", "completed"]);
    expect(both[1]?.text).toContain("RESULT for");
    expect((await taskOf(p, r.taskId))?.status).toBe("completed");
  });
});

describe("fast path and backbone", () => {
  it("racing for the same task still make one message", async () => {
    const p = await parent();
    const r = started(await p.startTask("Worker", { task: uniqueName("race"), delayMs: 400 }));
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      await Promise.all([tick(p), tick(p)]);
      await sleep(20);
    }
    await sleep(500);
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
    const subs = await p.submissions();
    expect(subs.map((s) => s.idempotencyKey)).toEqual([`bg:${r.taskId}:result`]);
  });

  it("an outcome delivered while another task runs keeps the cadence where it stands", async () => {
    const p = await getAgentByName(testEnv.CadenceParent, uniqueName("cadence"));
    started(await p.startTask("Worker", { task: uniqueName("long"), delayMs: 20_000 }));
    const short = started(
      await p.startTask("Worker", { task: uniqueName("short"), delayMs: 3000 })
    );
    // Three ticks with nothing new slow the cadence to 8 s.
    for (let i = 0; i < 3; i++) await tick(p);
    const [armed] = await backboneJobs(p);
    expect(armed?.time).toBeGreaterThanOrEqual(Date.now() + 6000);
    // The short task ends; its notice is delivered.
    await until(
      () => noticesOf(p),
      (n) => n.some((x) => x.taskId === short.taskId)
    );
    // The next tick has not been pulled in: every tick wakes the whole object.
    expect(await backboneJobs(p)).toEqual([armed]);
  });

  it("stops polling once nothing is outstanding: only the retention sweep is left, a week ahead", async () => {
    const p = await parent();
    started(await p.startTask("Worker", { task: uniqueName("a"), delayMs: 1500 }));
    expect(await backboneJobs(p)).toHaveLength(1);
    started(await p.startTask("Worker", { task: uniqueName("b"), delayMs: 200 }));
    expect(await backboneJobs(p)).toHaveLength(1); // one job per parent, not per task
    await until(
      () => noticesOf(p),
      (n) => n.length === 2
    );
    await until(
      () => pollingJobs(p),
      (jobs) => jobs.length === 0,
      3000
    );
    const [sweep, ...more] = await backboneJobs(p);
    expect(more).toHaveLength(0);
    expect(sweep?.time).toBeGreaterThanOrEqual(Date.now() + 7 * 24 * 60 * 60 * 1000 - 10_000);
  });
});

describe("the SDK's housekeeping sweep after an alarm", () => {
  it("holds no notice back: one reaches the chat while a busy child keeps the sweep waiting", async () => {
    const p = await parent();
    const gateName = uniqueName("gate");
    const sweepGate = `${gateName}:sweep`;
    // The application's own detached run (not a task): the sweep calls its child.
    const own = await p.startOwnRun("SlowSweep", { task: uniqueName("own"), gate: gateName });
    await until(
      () => p.gateWaiting(gateName),
      (n) => n === 1
    );
    // An alarm (the backbone's tick); after it the SDK sweeps the busy
    // children, and the held child keeps that sweep waiting.
    await p.makeJobsDue();
    const alarm = runDurableObjectAlarm(p as unknown as DurableObjectStub);
    expect(
      await until(
        () => p.gateWaiting(sweepGate),
        (n) => n === 1
      )
    ).toBe(1);
    // The alarm itself has ended (the sweep waits on beside it).
    expect(await Promise.race([alarm, sleep(5000).then(() => "still held")])).toBe(true);
    // A task ending now has its notice in the chat: its turn runs on the
    // alarm loop, and the sweep holds no alarm.
    const quick = started(await p.startTask("Worker", { task: uniqueName("quick") }));
    const got = await until(
      () => noticesOf(p),
      (n) => n.some((x) => x.taskId === quick.taskId)
    );
    expect(got.map((n) => [n.taskId, n.status])).toEqual([[quick.taskId, "completed"]]);
    // The sweep is still waiting, and the alarms since started no second one.
    expect(await p.gateWaiting(sweepGate)).toBe(1);
    await p.openGate(sweepGate);
    await p.openGate(gateName);
    const ended = await until(
      async () => (await p.inspectChild("SlowSweep", own)) as { status: string } | null,
      (run) => run?.status === "completed"
    );
    expect(ended?.status).toBe("completed");
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([quick.taskId]);
  });

  it("calls no busy child whose task was handed to it here; after a restart the child is resumed and its task ends once", async () => {
    const name = uniqueName("p");
    const p = await parent(name);
    const taskGate = uniqueName("gate");
    const ownGate = uniqueName("gate");
    const taskName = uniqueName("task");
    const task = started(await p.startTask("SlowSweep", { task: taskName, gate: taskGate }));
    await until(
      () => p.gateWaiting(taskGate),
      (n) => n === 1
    );
    // The application's own run, started after the task's: the sweep calls
    // children one at a time in the order their runs began.
    await p.startOwnRun("SlowSweep", { task: uniqueName("own"), gate: ownGate });
    await until(
      () => p.gateWaiting(ownGate),
      (n) => n === 1
    );
    await tick(p);
    // The sweep reached the application's child, past the task's without a call.
    expect(
      await until(
        () => p.gateWaiting(`${ownGate}:sweep`),
        (n) => n === 1
      )
    ).toBe(1);
    expect(await p.gateWaiting(`${taskGate}:sweep`)).toBe(0);

    // A restart cuts the task's child short at its gate: it is resumed, and
    // the task ends once, with its work done once.
    await abortAllDurableObjects();
    const again = await parent(name);
    for (const gate of [taskGate, ownGate]) {
      await again.openGate(gate);
      await again.openGate(`${gate}:sweep`);
    }
    await tick(again);
    const got = await until(
      () => noticesOf(again),
      (n) => n.length >= 1
    );
    await sleep(500);
    expect((await noticesOf(again)).map((n) => [n.taskId, n.status])).toEqual([
      [task.taskId, "completed"]
    ]);
    expect(got).toHaveLength(1);
    expect((await again.childStats(taskName)).calls).toBe(1);
  });
});
