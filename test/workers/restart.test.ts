// Restarts at the awkward moments: right after dispatch, mid-run, with the
// notice owed but not submitted, and with it submitted but not marked. Each
// time: exactly one result notice. `abortAllDurableObjects` is a real restart
// of every object and facet; storage survives, memory and promises do not.
import { abortAllDurableObjects } from "cloudflare:test";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import {
  noticesOf,
  sleep,
  started,
  taskOf,
  testEnv,
  transcriptOf,
  uniqueName,
  until
} from "./helpers";

function reopen(name: string) {
  return getAgentByName(testEnv.TestParent, name);
}

async function expectOneResult(name: string, taskId: string) {
  const p = await reopen(name);
  const got = await until(
    () => noticesOf(p),
    (n) => n.length > 0,
    20_000
  );
  // Give duplicates every chance: a backbone tick and some time.
  await p.makeJobsDue();
  await sleep(1500);
  const all = await noticesOf(p);
  expect(all).toHaveLength(1);
  expect(got[0]).toMatchObject({ taskId, status: "completed" });
  const task = await taskOf(p, taskId);
  expect(task?.status).toBe("completed");
  expect(task?.notices.map((n) => n.slot)).toEqual(["result"]);
  expect(task?.notices[0]?.deliveredAt).not.toBeNull();
  return p;
}

describe("restart", () => {
  it("right after dispatch: one result notice", async () => {
    const name = uniqueName("r-dispatch");
    const p = await reopen(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 500 }));
    await abortAllDurableObjects();
    await expectOneResult(name, r.taskId);
  });

  it("mid-run: one result notice, and the SDK's run registry ends completed", async () => {
    const name = uniqueName("r-mid");
    const p = await reopen(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 2000 }));
    await sleep(600);
    const seen = (await p.inspectChild("Worker", r.runId)) as { status: string } | null;
    expect(seen?.status).toBe("running");
    await abortAllDurableObjects();
    const after = await expectOneResult(name, r.taskId);
    const sdkRow = await until(
      async () =>
        ((await after.sdkRuns()) as { run_id: string; status: string }[]).find(
          (row) => row.run_id === r.runId
        ),
      (row) => row?.status === "completed"
    );
    expect(sdkRow?.status).toBe("completed");
  });

  it("restarted mid-run and left alone: the backbone's alarm wakes it and the notice arrives", async () => {
    const name = uniqueName("r-alone");
    const p = await reopen(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 1000 }));
    await sleep(300);
    await abortAllDurableObjects();
    // Do not touch the parent: only its scheduled backbone can wake it.
    await sleep(4000);
    await expectOneResult(name, r.taskId);
  });

  it("after the child finished, with the notice owed but not yet submitted: one result notice", async () => {
    const name = uniqueName("r-owed");
    const p = await reopen(name);
    await p.armHold("before-submit");
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    // The outcome is settled and the slot claimed, but the submission hangs.
    await until(
      async () => (await taskOf(p, r.taskId))?.status,
      (s) => s === "completed"
    );
    await sleep(200);
    expect(await noticesOf(p)).toHaveLength(0);
    await abortAllDurableObjects();
    await expectOneResult(name, r.taskId);
  });

  it("during delivery, after the submission was stored but before it was marked: one result notice", async () => {
    const name = uniqueName("r-submitted");
    const p = await reopen(name);
    await p.armHold("after-submit");
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    await until(
      async () => (await p.submissions()).length,
      (n) => n > 0
    );
    const task = await taskOf(p, r.taskId);
    expect(task?.notices[0]?.deliveredAt).toBeNull();
    await abortAllDurableObjects();
    const after = await expectOneResult(name, r.taskId);
    // The retry reused the stored submission: one submission, one key.
    const subs = await after.submissions();
    expect(subs.map((s) => s.idempotencyKey)).toEqual([`bg:${r.taskId}:result`]);
    const users = (await transcriptOf(after)).filter((m) => m.role === "user");
    expect(users).toHaveLength(1);
  });
});

describe("restart during a next-turn delivery", () => {
  it("after the notice was added but before it was marked: one notice message, same id", async () => {
    const name = uniqueName("r-added");
    const p = await reopen(name);
    await p.armHold("after-add");
    const r = started(
      await p.startTask(
        "Worker",
        { task: uniqueName("t"), delayMs: 100 },
        { delivery: "next-turn" }
      )
    );
    const added = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect((await taskOf(p, r.taskId))?.notices[0]?.deliveredAt).toBeNull();
    const id = (await transcriptOf(p)).find((m) => m.role === "user")?.id;
    await abortAllDurableObjects();
    const after = await reopen(name);
    await until(
      async () => (await taskOf(after, r.taskId))?.notices[0]?.deliveredAt ?? null,
      (d) => d !== null,
      20_000
    );
    // The retry added the same message (same id, derived from the stored secret): still one.
    const users = (await transcriptOf(after)).filter((m) => m.role === "user");
    expect(users.map((m) => m.id)).toEqual([id]);
    expect(added.map((n) => n.status)).toEqual(["completed"]);
    expect((await noticesOf(after)).map((n) => n.status)).toEqual(["completed"]);
  });
});

describe("a child restarted while its run is on the way", () => {
  it("a never-starting child restarted twice mid-dispatch is given up as lost, not failed", async () => {
    const p = await getAgentByName(testEnv.ChaosParent, uniqueName("twice"));
    const r = started(await p.startTask("NeverStarts", { task: uniqueName("never") }));
    await until(
      () => p.restartChild("NeverStarts", r.runId),
      (restarted) => restarted
    );
    // The second restart lands on the handover that follows the first.
    await sleep(400);
    expect(await p.restartChild("NeverStarts", r.runId)).toBe(true);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    expect(got.map((n) => n.status)).toEqual(["gave_up"]);
    const task = await taskOf(p, r.taskId);
    expect(task?.status).toBe("gave_up");
    expect(task?.giveUpReason).toBe("lost");
  });
});

describe("a host without a chat", () => {
  it("calls its onFinish method once per slot, across a restart", async () => {
    const name = uniqueName("cb");
    let host = await getAgentByName(testEnv.CallbackHost, name);
    const done = started(await host.startTask("Worker", { task: uniqueName("t"), delayMs: 1500 }));
    const stopped = started(
      await host.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 })
    );
    await sleep(400);
    await abortAllDurableObjects();
    host = await getAgentByName(testEnv.CallbackHost, name);
    await until(
      () => host.finishLog(),
      (log) => log.length > 0,
      20_000
    );
    expect((await taskOf(host, stopped.taskId))?.status).toBe("running");
    expect(await host.cancelTask(stopped.taskId)).toEqual({
      outcome: "cancelled",
      taskId: stopped.taskId
    });
    await host.makeJobsDue();
    await sleep(1500);
    // A restart after both deliveries changes nothing.
    await abortAllDurableObjects();
    host = await getAgentByName(testEnv.CallbackHost, name);
    await host.makeJobsDue();
    await sleep(1000);
    expect(await host.finishLog()).toEqual([
      { key: `bg:${done.taskId}:result`, slot: "result", status: "completed" },
      { key: `bg:${stopped.taskId}:cancelled`, slot: "cancelled", status: "cancelled" }
    ]);
  });
});
