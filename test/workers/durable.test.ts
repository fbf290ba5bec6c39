// Durable work: a child run cut short by a restart is resumed or run again,
// so a task meant to complete completes, whatever restarts hit it. Every
// `wrangler deploy` restarts every object, so these are not rare faults.
import { abortAllDurableObjects } from "cloudflare:test";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import { noticesOf, sleep, started, taskOf, testEnv, uniqueName, until } from "./helpers";

function reopen(name: string) {
  return getAgentByName(testEnv.TestParent, name);
}

describe("a restart storm", () => {
  it("20 tasks, 4 restarts of everything 0.5–1 s apart: 20 completed tasks and 20 notices", async () => {
    const name = uniqueName("storm");
    let p = await reopen(name);
    // Started together, as a model's burst of spawns or an app's import would.
    const ids = (
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          p.startTask("Worker", { task: uniqueName(`storm${i}`), delayMs: 1000 + 100 * i })
        )
      )
    ).map((r) => started(r).taskId);
    for (const gap of [500, 800, 600, 1000]) {
      await sleep(gap);
      await abortAllDurableObjects();
    }
    p = await reopen(name);
    const all = await until(
      () => noticesOf(p),
      (n) => n.length >= 20,
      60_000
    );
    // Give duplicates every chance to appear.
    await p.makeJobsDue();
    await sleep(1500);
    const final = await noticesOf(p);
    expect(final).toHaveLength(20);
    expect(all.length).toBe(20);
    expect(new Set(final.map((n) => n.taskId))).toEqual(new Set(ids));
    const outcomes = [];
    for (const id of ids) {
      const task = await taskOf(p, id);
      outcomes.push({ status: task?.status, error: task?.error ?? null });
    }
    expect(outcomes).toEqual(ids.map(() => ({ status: "completed", error: null })));
    expect(final.every((n) => n.status === "completed")).toBe(true);
  }, 90_000);
});

describe("a run cut short before its child's turn began", () => {
  async function cutRun(name: string) {
    const p = await reopen(name);
    const task = uniqueName("cut");
    const r = started(await p.startTask("CutBeforeTurn", { task, delayMs: 200 }));
    // The child has recorded the run; its turn never began.
    await until(
      () => p.inspectChild("CutBeforeTurn", r.runId),
      (seen) => seen !== null
    );
    return { p, r, task };
  }

  async function expectRerunCompleted(name: string, taskId: string, task: string) {
    const p = await reopen(name);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    expect(await noticesOf(p)).toEqual([expect.objectContaining({ taskId, status: "completed" })]);
    expect(got[0]?.text).toContain(`RESULT for ${task}`);
    const after = await taskOf(p, taskId);
    expect(after).toMatchObject({ status: "completed", attempts: 2, error: null });
    // The work was done once: the second attempt's child called its model once.
    expect((await p.childStats(task)).calls).toBe(1);
    return after;
  }

  it("restart of everything: run again under a new attempt, one notice", async () => {
    const name = uniqueName("cut-all");
    const { r, task } = await cutRun(name);
    await abortAllDurableObjects();
    const after = await expectRerunCompleted(name, r.taskId, task);
    expect(after?.runId).not.toBe(r.runId);
  });

  it("restart of the child alone: run again under a new attempt, one notice", async () => {
    const name = uniqueName("cut-child");
    const { p, r, task } = await cutRun(name);
    expect(await p.restartChild("CutBeforeTurn", r.runId)).toBe(true);
    await expectRerunCompleted(name, r.taskId, task);
  });
});

describe("reruns: policy, limits, cancel and dependencies across attempts", () => {
  /** Start a task on `child`, wait until its child has the run, then restart that child. */
  async function startAndCut(
    p: Awaited<ReturnType<typeof reopen>>,
    child: "CutBeforeTurn" | "CutMidTurn" | "CutAlways",
    options: { rerun?: "always" | "if-untouched" | "never"; delayMs?: number } = {}
  ) {
    const task = uniqueName("cut");
    const r = started(
      await p.startTask(
        child,
        { task, delayMs: options.delayMs ?? 200 },
        options.rerun ? { rerun: options.rerun } : {}
      )
    );
    await until(
      () => p.inspectChild(child, r.runId),
      (seen) => seen !== null
    );
    expect(await p.restartChild(child, r.runId)).toBe(true);
    return { r, task };
  }

  async function oneNotice(p: Awaited<ReturnType<typeof reopen>>, taskId: string) {
    await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    await p.makeJobsDue();
    await sleep(1200);
    const all = await noticesOf(p);
    expect(all.map((n) => n.taskId)).toEqual([taskId]);
    return { notice: all[0], task: await taskOf(p, taskId) };
  }

  it('rerun "never": the task fails, saying the run was cut short and not run again', async () => {
    const p = await reopen(uniqueName("never"));
    const { r, task } = await startAndCut(p, "CutBeforeTurn", { rerun: "never" });
    const { notice, task: after } = await oneNotice(p, r.taskId);
    expect(notice?.status).toBe("failed");
    expect(after).toMatchObject({ status: "failed", attempts: 1 });
    expect(after?.error).toMatch(/interrupted.*not run again: reruns are off/);
    expect((await p.childStats(task)).calls).toBe(0);
  });

  it('rerun "if-untouched": a run cut before its turn began is run again', async () => {
    const p = await reopen(uniqueName("untouched"));
    const { r } = await startAndCut(p, "CutBeforeTurn", { rerun: "if-untouched" });
    const { notice, task } = await oneNotice(p, r.taskId);
    expect(notice?.status).toBe("completed");
    expect(task).toMatchObject({ status: "completed", attempts: 2 });
  });

  it('rerun "if-untouched": a run cut after its turn began fails instead', async () => {
    const p = await reopen(uniqueName("touched"));
    const { r } = await startAndCut(p, "CutMidTurn", { rerun: "if-untouched" });
    const { notice, task } = await oneNotice(p, r.taskId);
    expect(notice?.status).toBe("failed");
    expect(task).toMatchObject({ status: "failed", attempts: 1 });
    expect(task?.error).toContain("its child had begun its turn");
  });

  it('rerun "always" (the default): even a run cut after its turn began is run again', async () => {
    const p = await reopen(uniqueName("always"));
    const { r } = await startAndCut(p, "CutMidTurn");
    const { notice, task } = await oneNotice(p, r.taskId);
    expect(notice?.status).toBe("completed");
    expect(task).toMatchObject({ status: "completed", attempts: 2, rerun: "always" });
  });

  it("stops at maxAttempts: the last attempt's cut fails the task, with one notice", async () => {
    const p = await getAgentByName(testEnv.RerunParent, uniqueName("limit"));
    const { r } = await startAndCut(p, "CutAlways");
    const second = await until(
      () => taskOf(p, r.taskId),
      (t) => t?.attempts === 2,
      10_000
    );
    const runId = second?.runId ?? "";
    await until(
      () => p.inspectChild("CutAlways", runId),
      (seen) => seen !== null
    );
    expect(await p.restartChild("CutAlways", runId)).toBe(true);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    await p.makeJobsDue();
    await sleep(1200);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["failed"]);
    expect(got[0]?.text).toContain("all 2 attempts were used");
    expect(await taskOf(p, r.taskId)).toMatchObject({ status: "failed", attempts: 2 });
  });

  it("cancel after a rerun stops the new attempt's child: one cancelled notice", async () => {
    const p = await reopen(uniqueName("cancel-rerun"));
    const { r } = await startAndCut(p, "CutBeforeTurn", { delayMs: 8000 });
    const second = await until(
      () => taskOf(p, r.taskId),
      (t) => t?.attempts === 2,
      10_000
    );
    const runId = second?.runId ?? "";
    await until(
      async () => (await p.inspectChild("CutBeforeTurn", runId)) as { status: string } | null,
      (seen) => seen?.status === "running"
    );
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    const { notice } = await oneNotice(p, r.taskId);
    expect(notice?.status).toBe("cancelled");
    const child = (await p.inspectChild("CutBeforeTurn", runId)) as { status: string } | null;
    expect(child?.status).toBe("aborted");
  });

  it("a task waiting on one whose run was cut starts once the rerun completes", async () => {
    const p = await reopen(uniqueName("after"));
    const { r } = await startAndCut(p, "CutBeforeTurn");
    const next = started(
      await p.startTask("Worker", { task: uniqueName("next") }, { after: [r.taskId] })
    );
    await until(
      () => noticesOf(p),
      (n) => n.length >= 2,
      20_000
    );
    await sleep(1000);
    expect((await noticesOf(p)).map((n) => [n.taskId, n.status])).toEqual([
      [r.taskId, "completed"],
      [next.taskId, "completed"]
    ]);
    expect(await taskOf(p, r.taskId)).toMatchObject({ attempts: 2 });
  });
});

describe("a run its child never settles after a restart (a recovery that never ends)", () => {
  /** Start a task whose first run stalls, wait until its child has it, restart everything. */
  async function startAndStall(name: string, options: { rerun?: "never" } = {}) {
    let p = await getAgentByName(testEnv.StallParent, name);
    await p.recordEvents();
    const task = uniqueName("stall");
    const r = started(await p.startTask("StallsAfterCut", { task, delayMs: 200 }, options));
    await until(
      () => p.inspectChild("StallsAfterCut", r.runId),
      (seen) => seen !== null
    );
    await abortAllDurableObjects();
    p = await getAgentByName(testEnv.StallParent, name);
    return { p, r, task };
  }

  it("is stopped after stalledRunMs without a sign of life and run again: one notice, completed", async () => {
    const { p, r, task } = await startAndStall(uniqueName("stalled"));
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      30_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    expect(await noticesOf(p)).toEqual([
      expect.objectContaining({ taskId: r.taskId, status: "completed" })
    ]);
    expect(got[0]?.text).toContain(`RESULT for ${task}`);
    expect(await taskOf(p, r.taskId)).toMatchObject({
      status: "completed",
      attempts: 2,
      error: null
    });
    // The work was done once, by the second attempt's child.
    expect((await p.childStats(task)).calls).toBe(1);
    // The stalled run was stopped at its child, so a late wake-up cannot act.
    const old = (await p.inspectChild("StallsAfterCut", r.runId)) as { status: string } | null;
    expect(old?.status).toBe("aborted");
    const heard = (await p.events()) as { type: string; payload: unknown }[];
    const reruns = heard.filter((e) => e.type === "background:rerun");
    expect(reruns).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({ taskId: r.taskId, attempt: 2 })
      })
    ]);
    expect(JSON.stringify(reruns[0]?.payload)).toMatch(/stalled: no sign of life/);
  }, 45_000);

  it("is left alone while its progress moves, and run again once it stops moving", async () => {
    const { p, r } = await startAndStall(uniqueName("lively"));
    await p.setLively(r.runId, true);
    // Three times the stall window, looked at every second: never quiet for long.
    await sleep(9000);
    expect(await taskOf(p, r.taskId)).toMatchObject({ status: "running", attempts: 1 });
    expect(await noticesOf(p)).toEqual([]);
    await p.setLively(r.runId, false);
    await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    expect(await taskOf(p, r.taskId)).toMatchObject({ status: "completed", attempts: 2 });
  }, 45_000);

  it("checking on it (as check_background_task does) is no sign of life: the stall is still seen", async () => {
    const { p, r } = await startAndStall(uniqueName("checked"));
    // One progress report after the restart, then silence: the child keeps
    // answering with that same report.
    await p.setLively(r.runId, true);
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.progress !== null,
      10_000
    );
    await p.setLively(r.runId, false);
    // The model checks on the task far more often than the stall window.
    let checking = true;
    const checks = (async () => {
      while (checking) {
        await p.callEngine("refresh", [r.taskId]);
        await sleep(300);
      }
    })();
    try {
      await until(
        () => noticesOf(p),
        (n) => n.length > 0,
        30_000
      );
    } finally {
      checking = false;
      await checks;
    }
    expect(await taskOf(p, r.taskId)).toMatchObject({ status: "completed", attempts: 2 });
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["completed"]);
  }, 60_000);

  it('with rerun "never" the task fails, saying the run stalled, and the child is stopped', async () => {
    const { p, r, task } = await startAndStall(uniqueName("stall-never"), { rerun: "never" });
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      30_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["failed"]);
    expect(got[0]?.text).toMatch(/stalled/);
    const after = await taskOf(p, r.taskId);
    expect(after).toMatchObject({ status: "failed", attempts: 1 });
    expect(after?.error).toMatch(/stalled: no sign of life .* \(not run again: reruns are off/);
    expect((await p.childStats(task)).calls).toBe(0);
    const old = (await p.inspectChild("StallsAfterCut", r.runId)) as { status: string } | null;
    expect(old?.status).toBe("aborted");
  }, 45_000);
});

describe("an inspection that throws is not a null", () => {
  it("a parent that gives up after one null keeps a run whose inspections throw", async () => {
    const p = await getAgentByName(testEnv.StrictParent, uniqueName("flaky"));
    const task = uniqueName("flaky");
    // Three inspections of three tries each: the ticks at 1 s, 2 s and 3 s.
    await p.failInspections(task, 9);
    const r = started(await p.startTask("FlakyInspect", { task, delayMs: 3500 }));
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    expect(got.map((n) => n.status)).toEqual(["completed"]);
    const after = await taskOf(p, r.taskId);
    expect(after).toMatchObject({ status: "completed", giveUpReason: null });
    expect(after?.notices.map((n) => n.slot)).toEqual(["result"]);
  });
});
