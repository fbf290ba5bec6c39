// Retention: an ended task is pruned after `retainEndedMs`, with its child,
// the SDK's run row and its submissions; a summary stays and still answers.
// Nothing is pruned while a notice is owed, a dependant waits or its batch is
// open; a restart at each step of a prune leaves no half-removed task; and
// an idle parent is woken only when a prune is due.
import { abortAllDurableObjects } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import { noticesOf, sleep, started, taskOf, testEnv, uniqueName, until } from "./helpers";

function retention(name = uniqueName("ret")) {
  return getAgentByName(testEnv.RetentionParent, name);
}
type Parent = Awaited<ReturnType<typeof retention>>;

const GONE = {
  tasks: 0,
  notices: 0,
  runs: 0,
  summaries: 1,
  children: 0,
  sdkRuns: 0,
  submissions: 0
};

async function completedTask(p: Parent, delayMs = 50) {
  const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs }));
  await until(
    async () => (await taskOf(p, r.taskId))?.notices[0]?.state,
    (s) => s === "delivered"
  );
  return r;
}

async function backboneJobs(p: Parent) {
  return (await p.jobs()).filter((job) => job.callback === "backgroundTick");
}

describe("pruning an ended task", () => {
  it("removes its rows, child, SDK run row and submission, keeps a summary, and leaves the parent idle", async () => {
    const p = await retention();
    const r = await completedTask(p);
    expect(await p.leftOf(r.taskId, [r.runId])).toMatchObject({
      tasks: 1,
      children: 1,
      sdkRuns: 1
    });
    // Idle but for the one sweep that is due a second after the task ended.
    const [job] = await backboneJobs(p);
    const endedAt = (await taskOf(p, r.taskId))?.endedAt ?? 0;
    // Due a second after it ended, plus a tenth of that so one sweep takes tasks ending close together.
    expect(job?.time).toBe(Math.ceil((endedAt + 1100) / 1000) * 1000);
    const pruned = await until(
      () => taskOf(p, r.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
    expect(pruned).toMatchObject({ id: r.taskId, status: "completed", attempts: 1, input: null });
    expect(pruned?.summary).toContain("RESULT for");
    expect(await p.leftOf(r.taskId, [r.runId])).toEqual(GONE);
    // The notice stays in the chat: it is the user's conversation.
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
    // Nothing left to do: no job wakes the parent again.
    await until(
      () => backboneJobs(p),
      (jobs) => jobs.length === 0,
      5000
    );
    const listed = (await p.listTasks({})) as unknown as {
      tasks: { id: string; prunedAt: number | null }[];
    };
    expect(listed.tasks.map((t) => [t.id, t.prunedAt !== null])).toEqual([[r.taskId, true]]);
  });

  it("the board and its API still answer for a pruned task and say it was pruned", async () => {
    const name = uniqueName("ret-board");
    const p = await retention(name);
    const r = await completedTask(p);
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
    const res = await exports.default.fetch(
      `http://example.com/agents/retention-parent/${name}/background/tasks`,
      { headers: { authorization: "Bearer test-token" } }
    );
    const page = (await res.json()) as { tasks: { id: string; prunedAt: number | null }[] };
    expect(page.tasks.map((t) => [t.id, t.prunedAt !== null])).toEqual([[r.taskId, true]]);
  });

  it("an idempotency key still dedupes after its task is pruned, within its window", async () => {
    const p = await retention();
    const key = uniqueName("key");
    const r = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
    const again = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    expect(again).toMatchObject({ taskId: r.taskId, deduped: true, status: "completed" });
  });
});

describe("what is never pruned", () => {
  it("a task whose notice failed: retried once first, kept while it fails, pruned once delivered", async () => {
    const p = await retention();
    await p.failSubmissions("throw", -1);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }));
    await until(
      async () => (await taskOf(p, r.taskId))?.notices[0]?.state,
      (s) => s === "failed"
    );
    // Past its retention, the failed notice is put back in line once: two more attempts.
    await until(
      async () => (await p.submitLog()).length,
      (n) => n >= 4,
      10_000
    );
    await sleep(2500);
    expect((await taskOf(p, r.taskId))?.prunedAt).toBeNull();
    expect((await taskOf(p, r.taskId))?.notices[0]?.state).toBe("failed");
    expect((await p.submitLog()).length).toBe(4);
    await p.failSubmissions("throw", 0);
    await p.retryDeliveryOf(r.taskId);
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
  });

  it("a task another waits on, until the waiting one has started", async () => {
    const p = await retention();
    const a = await completedTask(p);
    const slow = started(await p.startTask("Worker", { task: uniqueName("slow"), delayMs: 4000 }));
    const b = started(
      await p.startTask("Worker", { task: uniqueName("b") }, { after: [a.taskId, slow.taskId] })
    );
    await sleep(2500);
    expect((await taskOf(p, a.taskId))?.prunedAt).toBeNull();
    await until(
      () => taskOf(p, b.taskId),
      (t) => t?.status === "completed",
      15_000
    );
    await until(
      () => taskOf(p, a.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
  });

  it("a batch member, until its batch has ended", async () => {
    const p = await retention();
    const result = (await p.callEngine("startBatch", [
      {
        items: [
          { input: { task: uniqueName("q"), delayMs: 50 } },
          { input: { task: uniqueName("s"), delayMs: 3500 } }
        ],
        instructions: "two",
        maxConcurrency: 2,
        delivery: "each"
      }
    ])) as { json: string };
    const { taskIds } = JSON.parse(result.json) as { taskIds: string[] };
    const [quick, slow] = taskIds;
    await sleep(2500);
    expect((await taskOf(p, quick ?? ""))?.status).toBe("completed");
    expect((await taskOf(p, quick ?? ""))?.prunedAt).toBeNull();
    await until(
      () => taskOf(p, quick ?? ""),
      (t) => t?.prunedAt !== null,
      15_000
    );
    expect((await taskOf(p, slow ?? ""))?.status).toBe("completed");
  });
});

describe("forget and prune, by hand", () => {
  it("forget prunes one ended task now; a running or unknown one is refused and kept", async () => {
    const p = await getAgentByName(testEnv.RetentionParent, uniqueName("forget"));
    const running = started(
      await p.startTask("Worker", { task: uniqueName("run"), delayMs: 5000 })
    );
    expect(await p.forgetTask(running.taskId)).toEqual({
      taskId: running.taskId,
      forgotten: false,
      reason: "not-ended"
    });
    expect(await p.forgetTask("task_unknown")).toEqual({
      taskId: "task_unknown",
      forgotten: false,
      reason: "not-found"
    });
    await p.cancelTask(running.taskId);
    await until(
      async () => (await taskOf(p, running.taskId))?.notices[0]?.state,
      (s) => s === "delivered"
    );
    expect(await p.forgetTask(running.taskId)).toEqual({ taskId: running.taskId, forgotten: true });
    expect((await taskOf(p, running.taskId))?.prunedAt).not.toBeNull();
  });
});

describe("a restart in the middle of a prune", () => {
  for (const step of ["delete-child", "forget-submission"] as const) {
    it(`held at ${step}: reads as pruned, and the prune is finished after the restart`, async () => {
      const name = uniqueName(`ret-${step}`);
      let p = await retention(name);
      await p.holdPrune(step);
      const r = await completedTask(p);
      // The prune began (summary written, task marked) and is held at the step.
      await until(
        () => taskOf(p, r.taskId),
        (t) => t?.prunedAt !== null,
        10_000
      );
      await sleep(300);
      const midway = await p.leftOf(r.taskId, [r.runId]);
      expect(midway).toMatchObject({ tasks: 1, summaries: 1 });
      await abortAllDurableObjects();
      p = await retention(name);
      await until(
        () => p.leftOf(r.taskId, [r.runId]),
        (left) => left.tasks === 0,
        10_000
      );
      expect(await p.leftOf(r.taskId, [r.runId])).toEqual(GONE);
      expect((await taskOf(p, r.taskId))?.status).toBe("completed");
    });
  }
});

describe("bounds besides age", () => {
  it("an idempotency key past its window starts a new task", async () => {
    const p = await getAgentByName(testEnv.WindowParent, uniqueName("window"));
    const key = uniqueName("key");
    const first = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    const within = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    expect(within).toMatchObject({ taskId: first.taskId, deduped: true });
    await sleep(1200);
    const after = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    expect(after.deduped).toBe(false);
    expect(after.taskId).not.toBe(first.taskId);
    // And the key now names the new task.
    const again = started(
      await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }, { idempotencyKey: key })
    );
    expect(again).toMatchObject({ taskId: after.taskId, deduped: true });
  });

  it("beyond maxEndedTasks the oldest ended tasks are pruned, whatever their age", async () => {
    const p = await getAgentByName(testEnv.WindowParent, uniqueName("max"));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await completedTask(p as unknown as Parent)).taskId);
    await p.makeJobsDue();
    const all = await until(
      async () => Promise.all(ids.map((id) => taskOf(p, id))),
      (tasks) => tasks.filter((t) => t?.prunedAt !== null).length >= 2,
      10_000
    );
    expect(all.map((t) => t?.prunedAt !== null)).toEqual([true, true, false, false, false]);
  });

  it("while tasks end, the oldest are pruned even when the backbone's ticks never come", async () => {
    const p = await getAgentByName(testEnv.BusyAlarmParent, uniqueName("busy-alarm"));
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await completedTask(p as unknown as Parent)).taskId);
      await sleep(1100); // at most one sweep a second rides on a task's end
    }
    const all = await Promise.all(ids.map((id) => taskOf(p, id)));
    // maxEndedTasks: 3. Each end's sweep prunes the oldest beyond three; the task that
    // just ended counts but is not prunable yet (its notice is on its way), so the
    // oldest go and the newest three stay. No tick ever ran.
    const pruned = all.map((t) => t?.prunedAt !== null);
    expect(pruned.slice(0, 3)).toEqual([true, true, true]);
    expect(pruned.slice(-3)).toEqual([false, false, false]);
  });

  it("summaries are bounded: beyond maxPrunedSummaries the oldest go", async () => {
    const p = await retention();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await completedTask(p)).taskId);
    await until(
      async () => Promise.all(ids.map((id) => taskOf(p, id))),
      (tasks) =>
        tasks.filter((t) => t !== null).length === 5 &&
        tasks.every((t) => t === null || t.prunedAt !== null),
      15_000
    );
    const left = await Promise.all(ids.map((id) => taskOf(p, id)));
    // The five newest summaries are kept (maxPrunedSummaries: 5).
    expect(left.map((t) => t !== null)).toEqual([false, false, true, true, true, true, true]);
  });
});

describe("pruning a child with its drill-in socket open", () => {
  it("closes the socket and never recreates the child", async () => {
    const name = uniqueName("ret-socket");
    const p = await retention(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }));
    const path = `http://example.com/agents/retention-parent/${name}/sub/worker/${r.runId}`;
    const auth = { authorization: "Bearer test-token" };
    const res = await exports.default.fetch(path, { headers: { Upgrade: "websocket", ...auth } });
    const ws = res.webSocket;
    if (!ws) throw new Error(`no drill-in socket (${res.status})`);
    let closed = false;
    ws.addEventListener("close", () => {
      closed = true;
    });
    ws.accept();
    await until(
      () => taskOf(p, r.taskId),
      (t) => t?.prunedAt !== null,
      10_000
    );
    await until(
      () => p.leftOf(r.taskId, [r.runId]),
      (left) => left.tasks === 0,
      10_000
    );
    await until(
      () => closed,
      (c) => c,
      5000
    );
    expect(closed).toBe(true);
    expect(await p.hasChild("Worker", r.runId)).toBe(false);
    // Reconnecting to the pruned child is refused (a socket is refused by a
    // close frame, 4000 + 404, since a browser cannot read a failed
    // handshake) and creates nothing.
    const again = await exports.default.fetch(path, { headers: { Upgrade: "websocket", ...auth } });
    const refused = again.webSocket;
    if (!refused) throw new Error(`no socket (${again.status})`);
    const code = new Promise<number>((resolve) => {
      refused.addEventListener("close", (event) => resolve(event.code));
    });
    refused.accept();
    expect(await code).toBe(4404);
    expect(await p.hasChild("Worker", r.runId)).toBe(false);
  });
});

describe("forget and prune through the board's API", () => {
  it("need the board's header and the authorize hook, and answer what they did", async () => {
    const name = uniqueName("ret-api");
    const p = await getAgentByName(testEnv.WindowParent, name);
    const r = await completedTask(p as unknown as Parent);
    const base = `http://example.com/agents/window-parent/${name}/background`;
    const auth = { authorization: "Bearer test-token" };
    const post = (path: string, headers: Record<string, string>) =>
      exports.default.fetch(`${base}${path}`, { method: "POST", headers });
    expect((await post(`/tasks/${r.taskId}/forget`, {})).status).toBe(403);
    expect((await post(`/tasks/${r.taskId}/forget`, auth)).status).toBe(403);
    const board = { ...auth, "x-background-board": "1" };
    expect(await (await post(`/tasks/${r.taskId}/forget`, board)).json()).toEqual({
      taskId: r.taskId,
      forgotten: true
    });
    const other = await completedTask(p as unknown as Parent);
    const pruned = await post(`/prune?olderThan=${Date.now()}`, board);
    expect(await pruned.json()).toEqual({ pruned: 1 });
    expect((await taskOf(p, other.taskId))?.prunedAt).not.toBeNull();
    const bad = await post("/prune?olderThan=soon", board);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("olderThan");
  });
});
