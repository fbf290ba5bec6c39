// Observability: the events a task's life emits on `agents:background`, in
// the SDK's convention, for each way a task can end.
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import { parent, started, taskOf, testEnv, uniqueName, until } from "./helpers";

type Heard = { type: string; payload: Record<string, unknown>; agent: string; name: string };

async function eventsOf(
  p: { events(): Promise<unknown> },
  taskId: string,
  last: string
): Promise<Heard[]> {
  const all = await until(
    async () => (await p.events()) as Heard[],
    (events) =>
      events.some(
        (e) =>
          e.type === last &&
          (e.payload.taskId === taskId ||
            (Array.isArray(e.payload.taskIds) && e.payload.taskIds.includes(taskId)))
      ),
    15_000
  );
  return all.filter(
    (e) =>
      e.type !== "background:tick" &&
      (e.payload.taskId === taskId ||
        (Array.isArray(e.payload.taskIds) && e.payload.taskIds.includes(taskId)))
  );
}

describe("events", () => {
  it("completed: dispatched, settled, notice delivered with its latency", async () => {
    const name = uniqueName("ev-done");
    const p = await parent(name);
    await p.recordEvents();
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    const events = await eventsOf(p, r.taskId, "background:notice:delivered");
    expect(events.map((e) => e.type)).toEqual([
      "background:created",
      "background:dispatched",
      "background:settled",
      "background:notice:delivered"
    ]);
    expect(events[0]).toMatchObject({
      agent: "TestParent",
      name,
      payload: {
        taskId: r.taskId,
        agent: "Worker",
        status: "running",
        runAt: null,
        after: [],
        batchId: null
      }
    });
    expect(events[1]).toMatchObject({
      agent: "TestParent",
      name,
      payload: { taskId: r.taskId, runId: r.runId, agent: "Worker", attempt: 1 }
    });
    expect(events[2]?.payload).toMatchObject({ status: "completed", attempts: 1 });
    expect(events[3]?.payload).toMatchObject({ slots: ["result"], policy: "react" });
    expect(events[3]?.payload.latencyMs).toEqual(expect.any(Number));
  });

  it("failed: dispatched, settled failed, notice delivered", async () => {
    const p = await parent();
    await p.recordEvents();
    const r = started(
      await p.startTask("Worker", { task: uniqueName("t"), fail: "no", delayMs: 50 })
    );
    const events = await eventsOf(p, r.taskId, "background:notice:delivered");
    expect(events.map((e) => [e.type, e.payload.status ?? null])).toEqual([
      ["background:created", "running"],
      ["background:dispatched", null],
      ["background:settled", "failed"],
      ["background:notice:delivered", null]
    ]);
  });

  it("given up at its budget: settled gave_up, gave-up with its reason, notice delivered", async () => {
    const p = await parent();
    await p.recordEvents();
    const r = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 }, { budgetMs: 1200 })
    );
    const events = await eventsOf(p, r.taskId, "background:notice:delivered");
    expect(events.map((e) => e.type)).toEqual([
      "background:created",
      "background:dispatched",
      "background:settled",
      "background:gave-up",
      "background:notice:delivered"
    ]);
    expect(events[3]?.payload).toMatchObject({ reason: "budget" });
  });

  it("cancelled: settled cancelled, cancelled, notice delivered", async () => {
    const p = await parent();
    await p.recordEvents();
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 }));
    await p.cancelTask(r.taskId);
    const events = await eventsOf(p, r.taskId, "background:notice:delivered");
    expect(events.map((e) => e.type)).toEqual([
      "background:created",
      "background:dispatched",
      "background:settled",
      "background:cancelled",
      "background:notice:delivered"
    ]);
    expect(events[2]?.payload).toMatchObject({ status: "cancelled" });
  });

  it("created says how a task begins: scheduled for a time, or waiting behind another", async () => {
    const p = await parent();
    await p.recordEvents();
    const runAt = Date.now() + 60_000;
    const later = started(await p.startTask("Worker", { task: uniqueName("later") }, { runAt }));
    const first = started(await p.startTask("Worker", { task: uniqueName("first"), delayMs: 100 }));
    const next = started(
      await p.startTask("Worker", { task: uniqueName("next") }, { after: [first.taskId] })
    );
    const heard = await eventsOf(p, next.taskId, "background:dispatched");
    expect(heard.map((e) => [e.type, e.payload.status ?? null])).toEqual([
      ["background:created", "waiting"],
      ["background:dispatched", null]
    ]);
    expect(heard[0]?.payload).toMatchObject({ after: [first.taskId], runAt: null });
    const scheduled = ((await p.events()) as Heard[]).filter(
      (e) => e.payload.taskId === later.taskId
    );
    expect(scheduled.map((e) => [e.type, e.payload.status, e.payload.runAt])).toEqual([
      ["background:created", "scheduled", runAt]
    ]);
    // A batch's items are created waiting for their turn, each naming its batch.
    const batch = (await p.callEngine("startBatch", [
      {
        items: [{ input: { task: uniqueName("b1") } }, { input: { task: uniqueName("b2") } }],
        instructions: "two",
        maxConcurrency: 1,
        delivery: "each"
      }
    ])) as { json: string };
    const { batchId, taskIds } = JSON.parse(batch.json) as { batchId: string; taskIds: string[] };
    const items = ((await p.events()) as Heard[]).filter(
      (e) => e.type === "background:created" && e.payload.batchId === batchId
    );
    expect(items.map((e) => [e.payload.taskId, e.payload.status])).toEqual(
      taskIds.map((id) => [id, "waiting"])
    );
  });

  it("a failed delivery is reported per attempt, the last one as final", async () => {
    const p = await getAgentByName(testEnv.DeliveryParent, uniqueName("ev-fail"));
    await p.recordEvents();
    await p.failSubmissions("throw", -1);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }));
    const events = await until(
      async () =>
        ((await p.events()) as Heard[]).filter((e) => e.type === "background:notice:failed"),
      (e) => e.length >= 3,
      15_000
    );
    expect(events.map((e) => [e.payload.attempt, e.payload.final])).toEqual([
      [1, false],
      [2, false],
      [3, true]
    ]);
    expect(events[0]?.payload.taskIds).toEqual([r.taskId]);
  });

  it("the backbone's ticks say how much is outstanding, and what they inspected", async () => {
    const p = await parent();
    await p.recordEvents();
    // The SDK never records that this child took the run (its answer is lost),
    // so the run's first look is a call into the child, once it could count
    // toward a loss (here 1 s in).
    started(
      await p.startTask("SlowStarter", {
        task: uniqueName("t"),
        hangAfterStart: true,
        delayMs: 4000
      })
    );
    const ticks = await until(
      async () =>
        ((await p.events()) as Heard[]).filter(
          (e) => e.type === "background:tick" && e.payload.inspected === 1
        ),
      (t) => t.length > 0,
      10_000
    );
    expect(ticks[0]?.payload).toMatchObject({ running: 1, inspected: 1, owed: 0 });
  });

  it("a run the SDK records its child took costs the ticks no call into the child", async () => {
    const p = await parent();
    await p.recordEvents();
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 }));
    // Ticks come 1 s after the dispatch, then every 2 s: the second is well
    // past the run's first look (1 s in), while the run goes on.
    const ticks = await until(
      async () =>
        ((await p.events()) as Heard[]).filter(
          (e) => e.type === "background:tick" && e.payload.running === 1
        ),
      (t) => t.length >= 2,
      7000
    );
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.map((e) => e.payload.inspected)).toEqual(ticks.map(() => 0));
    expect((await taskOf(p, r.taskId))?.inspections).toBe(0);
  });
});
