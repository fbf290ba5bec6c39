// The model's background tools, end to end: a scripted model calls them in
// real Think turns on a real parent; children are real sub-agents.
import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { noticeMetadata } from "../../src/index";
import {
  noticesOf,
  runTools,
  sleep,
  type ToolParentStub,
  taskOf,
  textOf,
  toolParent,
  transcriptOf,
  uniqueName,
  until
} from "./helpers";

async function runTool(p: ToolParentStub, toolName: string, input: unknown, toolCallId?: string) {
  const [result] = await runTools(p, [{ toolName, input, ...(toolCallId ? { toolCallId } : {}) }]);
  if (!result) throw new Error(`no result from ${toolName}`);
  return result;
}

const spawn = (p: ToolParentStub, input: unknown, toolCallId?: string) =>
  runTool(p, "spawn_background_task", input, toolCallId);

async function noticeTurns(p: ToolParentStub) {
  return (await p.modelLog()).filter((c) => /^(Background|\d+ background)/.test(c.text));
}

describe("spawn", () => {
  it("starts a child, the completion arrives as a notice, and the model reacts to it", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=s1 delay=300 summarize the logs" });
    expect(r).toMatchObject({ ok: true, status: "running", deduped: false });
    const taskId = r.task_id as string;
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(got[0]).toMatchObject({ taskId, status: "completed" });
    expect(got[0]?.text).toContain("RESULT for s1");
    const reaction = await until(
      async () => (await transcriptOf(p)).at(-1),
      (m) => m?.role === "assistant" && textOf(m).startsWith("NOTED:")
    );
    expect(textOf(reaction ?? { parts: [] })).toContain(`Background task ${taskId}`);
  });

  it("a duplicate tool call (same tool call id) starts one child", async () => {
    const p = await toolParent();
    const input = { agent: "worker", task: "task=dup1 delay=200 once only" };
    const first = await spawn(p, input, "call-dup-1");
    const second = await spawn(p, input, "call-dup-1");
    expect(second).toEqual({ ...first, deduped: true });
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(300);
    expect((await p.childStats("dup1")).calls).toBe(1);
    expect(await p.taskCount()).toBe(1);
  });
});

describe("list, check, wait, cancel", () => {
  it("list shows compact rows", async () => {
    const p = await toolParent();
    const a = await spawn(p, { agent: "worker", task: "task=l1 delay=3000 slow one" });
    const listed = await runTool(p, "list_background_tasks", { status: "running" });
    expect(listed.ok).toBe(true);
    expect(listed.tasks).toEqual([
      {
        task_id: a.task_id,
        agent: "worker",
        title: "task=l1 delay=3000 slow one",
        status: "running",
        attempts: 1,
        runtime_ms: expect.any(Number),
        progress: null,
        notice: "none"
      }
    ]);
  });

  it("check with wait returns at completion, before the timeout", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=c1 delay=1200 wait for me" });
    const t0 = Date.now();
    const checked = await runTool(p, "check_background_task", {
      task_id: r.task_id,
      wait: true,
      timeout_ms: 20_000
    });
    const took = Date.now() - t0;
    expect(checked).toMatchObject({
      ok: true,
      status: "completed",
      timed_out: false,
      output: "RESULT for c1"
    });
    expect(took).toBeLessThan(15_000);
  });

  it("check with wait returns at the timeout when the task is not done", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=c2 delay=8000 long" });
    const t0 = Date.now();
    const checked = await runTool(p, "check_background_task", {
      task_id: r.task_id,
      wait: true,
      timeout_ms: 700
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(checked).toMatchObject({ ok: true, status: "running", timed_out: true });
    expect(checked).not.toHaveProperty("output");
  });

  it("check shows the child's live progress while it runs", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=pr1 progress=halfway delay=4000" });
    const checked = await until(
      () => runTool(p, "check_background_task", { task_id: r.task_id }),
      (c) => c.progress != null,
      3000
    );
    expect(checked).toMatchObject({
      ok: true,
      status: "running",
      progress: { fraction: 0.5, message: "halfway" }
    });
  });

  it("check and list still answer for a pruned task, and say it was pruned", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=pruned1 delay=100 then forget it" });
    const taskId = r.task_id as string;
    await until(
      async () => (await taskOf(p, taskId))?.notices[0]?.state,
      (s) => s === "delivered"
    );
    expect(await p.callEngine("forget", [taskId])).toEqual({
      json: JSON.stringify({ taskId, forgotten: true })
    });
    const checked = await runTool(p, "check_background_task", { task_id: taskId });
    expect(checked).toMatchObject({
      ok: true,
      task_id: taskId,
      status: "completed",
      pruned: true,
      output: "RESULT for pruned1"
    });
    const listed = await runTool(p, "list_background_tasks", {});
    expect(listed.tasks).toEqual([
      expect.objectContaining({ task_id: taskId, status: "completed", pruned: true })
    ]);
  });

  it("check pages long output", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=c3 long output" });
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    // The Worker answers "RESULT for c3" (13 characters); read it 5 at a time is not
    // configurable per call, so read from an offset instead.
    const page = await runTool(p, "check_background_task", { task_id: r.task_id, offset: 4 });
    expect(page).toMatchObject({ ok: true, output: "LT for c3", total_chars: 13 });
  });

  it("wait for several: any returns when one ends; all returns at the timeout with what is done", async () => {
    const p = await toolParent();
    const fast = await spawn(p, { agent: "worker", task: "task=w1 delay=200 fast" });
    const slow = await spawn(p, { agent: "worker", task: "task=w2 delay=6000 slow" });
    const any = await runTool(p, "wait_background_tasks", {
      task_ids: [fast.task_id, slow.task_id],
      mode: "any",
      timeout_ms: 20_000
    });
    expect(any).toMatchObject({ ok: true, done: true });
    expect(any.tasks).toEqual([
      { task_id: fast.task_id, status: "completed" },
      { task_id: slow.task_id, status: "running" }
    ]);
    const all = await runTool(p, "wait_background_tasks", {
      task_ids: [fast.task_id, slow.task_id],
      mode: "all",
      timeout_ms: 500
    });
    expect(all).toMatchObject({ ok: true, done: false });
  });

  it("cancel gives the engine's outcome", async () => {
    const p = await toolParent();
    const r = await spawn(p, { agent: "worker", task: "task=x1 delay=6000 to cancel" });
    expect(await runTool(p, "cancel_background_task", { task_id: r.task_id })).toEqual({
      ok: true,
      task_id: r.task_id,
      outcome: "cancelled"
    });
    expect(await runTool(p, "cancel_background_task", { task_id: r.task_id })).toEqual({
      ok: true,
      task_id: r.task_id,
      outcome: "already-finished",
      status: "cancelled"
    });
  });
});

describe("schedule", () => {
  it("a scheduled task is listed as scheduled and fires after a parent restart", async () => {
    const name = uniqueName("sched");
    let p = await toolParent(name);
    const r = await runTool(p, "schedule_background_task", {
      agent: "worker",
      task: "task=sc1 later",
      delay_seconds: 2
    });
    expect(r).toMatchObject({ ok: true, status: "scheduled", run_at: expect.any(String) });
    const listed = await runTool(p, "list_background_tasks", { status: "scheduled" });
    expect((listed.tasks as { task_id: string }[]).map((t) => t.task_id)).toEqual([r.task_id]);
    expect((await p.childStats("sc1")).calls).toBe(0);
    await abortAllDurableObjects();
    // Nothing touches the parent: its alarm must wake it.
    await sleep(3500);
    p = await toolParent(name);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      15_000
    );
    expect(got[0]).toMatchObject({ taskId: r.task_id, status: "completed" });
  });

  it("a scheduled task can be cancelled before it starts, and never starts", async () => {
    const p = await toolParent();
    const r = await runTool(p, "schedule_background_task", {
      agent: "worker",
      task: "task=sc2 never",
      delay_seconds: 1
    });
    const cancelled = await runTool(p, "cancel_background_task", { task_id: r.task_id });
    expect(cancelled).toMatchObject({ ok: true, outcome: "cancelled" });
    await sleep(2500);
    await p.makeJobsDue();
    await sleep(500);
    expect((await p.childStats("sc2")).calls).toBe(0);
    const task = await taskOf(p, r.task_id as string);
    expect(task?.status).toBe("cancelled");
    expect(task?.startedAt).toBeNull();
  });
});

describe("batch", () => {
  it("never runs more than max_concurrency children at once, and 'all' gives exactly one notice", async () => {
    const p = await toolParent();
    const items = [1, 2, 3, 4, 5].map(
      (i) => `task=b${i}-${crypto.randomUUID().slice(0, 8)} delay=700`
    );
    const r = await runTool(p, "batch_background_tasks", {
      agent: "worker",
      items,
      instructions: "Process the item.",
      max_concurrency: 2,
      delivery: "all"
    });
    expect(r).toMatchObject({ ok: true, batch_id: expect.any(String) });
    expect(r.task_ids as string[]).toHaveLength(5);
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      20_000
    );
    await sleep(1000);
    expect(await noticesOf(p)).toHaveLength(1);
    expect(got[0]).toMatchObject({ taskId: r.batch_id, status: "ended" });
    expect(got[0]?.text).toContain("5 of 5 completed");
    // From the children's own clocks: never more than two at once.
    const spans: { start: number; end: number }[] = [];
    for (const item of items) {
      const task = /task=(\S+)/.exec(item)?.[1] ?? "";
      const stats = await p.childStats(task);
      expect(stats.calls).toBe(1);
      spans.push({ start: stats.startedAt[0] ?? 0, end: stats.endedAt[0] ?? 0 });
    }
    for (const span of spans) {
      expect(span.end).toBeGreaterThan(span.start);
      const overlapping = spans.filter((o) => o.start <= span.start && o.end > span.start);
      expect(overlapping.length).toBeLessThanOrEqual(2);
    }
    expect(spans.filter((o) => o.start < (spans[0]?.end ?? 0)).length).toBe(2); // it did use two
  });
});

describe("delivery policies", () => {
  it("next-turn: no turn now; the notice sits before the next user message", async () => {
    const p = await toolParent();
    const r = await spawn(p, {
      agent: "worker",
      task: "task=nt1 delay=100 quiet",
      delivery: "next-turn"
    });
    const task = await until(
      () => taskOf(p, r.task_id as string),
      (t) => t?.notices[0]?.deliveredAt != null
    );
    expect(task?.notices[0]?.policy).toBe("next-turn");
    await sleep(500);
    expect(await noticeTurns(p)).toHaveLength(0);
    await p.userTurn("what happened?");
    const messages = await transcriptOf(p);
    const noticeAt = messages.findIndex((m) => noticeMetadata(m)?.taskId === r.task_id);
    const askedAt = messages.findIndex((m) => textOf(m) === "what happened?");
    expect(noticeAt).toBeGreaterThan(-1);
    expect(askedAt).toBe(noticeAt + 1);
    expect(await noticeTurns(p)).toHaveLength(0);
  });

  it("digest: completions that land during a turn become one notice and one turn", async () => {
    const p = await toolParent();
    const results = await runTools(
      p,
      [1, 2, 3].map((i) => ({
        toolName: "spawn_background_task",
        input: {
          agent: "worker",
          task: `task=dg${i}-${uniqueName("d")} delay=300`,
          delivery: "digest"
        }
      }))
    );
    const ids = results.map((r) => r.task_id as string);
    await p.userTurn("SLOW:2500");
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1500);
    expect(await noticesOf(p)).toHaveLength(1);
    for (const id of ids) expect(got[0]?.text).toContain(id);
    expect(got[0]?.text).toContain("3 background notices");
    expect(await noticeTurns(p)).toHaveLength(1);
  });
});

describe("dependencies", () => {
  it("a chain runs in order", async () => {
    const p = await toolParent();
    const tag = crypto.randomUUID().slice(0, 8);
    const a = await spawn(p, { agent: "worker", task: `task=A-${tag} delay=400` });
    const b = await spawn(p, {
      agent: "worker",
      task: `task=B-${tag} delay=400`,
      after: [a.task_id]
    });
    const c = await spawn(p, {
      agent: "worker",
      task: `task=C-${tag} delay=100`,
      after: [b.task_id]
    });
    expect(b.status).toBe("waiting");
    expect(c.status).toBe("waiting");
    await until(
      () => noticesOf(p),
      (n) => n.length === 3,
      20_000
    );
    const [sa, sb, sc] = await Promise.all(["A", "B", "C"].map((k) => p.childStats(`${k}-${tag}`)));
    expect(sb?.startedAt[0]).toBeGreaterThanOrEqual(sa?.endedAt[0] ?? Number.POSITIVE_INFINITY);
    expect(sc?.startedAt[0]).toBeGreaterThanOrEqual(sb?.endedAt[0] ?? Number.POSITIVE_INFINITY);
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([a.task_id, b.task_id, c.task_id]);
  });

  it("a failed dependency cancels its dependant, with a notice saying which and why", async () => {
    const p = await toolParent();
    const tag = crypto.randomUUID().slice(0, 8);
    const a = await spawn(p, { agent: "worker", task: `task=F-${tag} fail=broken` });
    const b = await spawn(p, {
      agent: "worker",
      task: `task=G-${tag} delay=10`,
      after: [a.task_id]
    });
    const got = await until(
      () => noticesOf(p),
      (n) => n.length === 2
    );
    const cancelled = got.find((n) => n.taskId === b.task_id);
    expect(cancelled?.status).toBe("cancelled");
    expect(cancelled?.text).toContain(`its dependency ${a.task_id} failed`);
    expect((await p.childStats(`G-${tag}`)).calls).toBe(0);
  });
});

describe("bad input (the full catalogue is in catalogue.test.ts)", () => {
  async function refused(p: ToolParentStub, toolName: string, input: unknown, code: string) {
    const before = await p.taskCount();
    const r = await runTool(p, toolName, input);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe(code);
    expect(typeof r.error?.message).toBe("string");
    expect(typeof r.error?.retryable).toBe("boolean");
    expect(await p.taskCount()).toBe(before);
    return r;
  }

  it("a cycle in after is refused and changes nothing", async () => {
    const p = await toolParent();
    const a = await spawn(p, {
      agent: "worker",
      task: "task=cy1 delay=3000",
      idempotency_key: "a"
    });
    const b = await spawn(p, {
      agent: "worker",
      task: "task=cy2",
      idempotency_key: "b",
      after: [a.task_id]
    });
    expect(b.ok).toBe(true);
    const r = await refused(
      p,
      "spawn_background_task",
      { agent: "worker", task: "task=cy1 delay=3000", idempotency_key: "a", after: [b.task_id] },
      "cycle"
    );
    expect(r.error?.message).toContain(a.task_id as string);
    expect((await taskOf(p, a.task_id as string))?.after).toEqual([]);
  });
});
