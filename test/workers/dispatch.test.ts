// Dispatch and delivery on the happy path: start returns at once, the
// completion arrives as one notice and one model turn, keys deduplicate,
// errors are reported, and bad input changes nothing.
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import {
  notices,
  noticesOf,
  parent,
  sleep,
  started,
  taskOf,
  testEnv,
  transcriptOf,
  uniqueName,
  until
} from "./helpers";

describe("start", () => {
  it("returns at once while the child runs for seconds, and the parent can chat meanwhile", async () => {
    const p = await parent();
    const t0 = Date.now();
    const r = started(await p.startTask("Worker", { task: uniqueName("slow"), delayMs: 3000 }));
    const startMs = Date.now() - t0;
    expect(r.status).toBe("running");
    expect(r.deduped).toBe(false);
    expect(startMs).toBeLessThan(1000); // the child needs 3000 ms

    // A chat turn completes while the background task is still running.
    expect(await p.userTurn("hello while you work")).toBe("completed");
    expect((await taskOf(p, r.taskId))?.status).toBe("running");
    const transcript = await transcriptOf(p);
    expect(transcript.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(notices(transcript)).toHaveLength(0);

    const done = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(done).toHaveLength(1);
    expect(done[0]?.status).toBe("completed");
  });

  it("delivers the completion as exactly one user message with metadata, and the model takes one turn on it", async () => {
    const p = await parent();
    const task = uniqueName("one");
    const r = started(await p.startTask("Worker", { task, delayMs: 200 }));
    await until(
      async () => (await taskOf(p, r.taskId))?.notices[0]?.deliveredAt ?? null,
      (d) => d !== null
    );
    // Let any second path (backbone tick, late fast path) have its chance.
    await p.makeJobsDue();
    await sleep(1500);

    const transcript = await transcriptOf(p);
    const notice = transcript.filter((m) => m.role === "user");
    expect(notice).toHaveLength(1);
    const facts = { source: "background-task", taskId: r.taskId, status: "completed" };
    expect(notice[0]?.metadata).toEqual({ ...facts, turnMetadata: { backgroundNotice: facts } });
    const text = notice[0]?.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
    expect(text).toContain(`RESULT for ${task}`);

    const turns = (await p.modelLog()).filter((c) => c.text.includes(r.taskId));
    expect(turns).toHaveLength(1);
    const reply = transcript[transcript.length - 1];
    expect(reply?.role).toBe("assistant");
    expect(JSON.stringify(reply?.parts)).toContain(`ACK: Background task ${r.taskId}`);

    const subs = (await p.submissions()).filter((s) => s.idempotencyKey?.includes(r.taskId));
    expect(subs.map((s) => s.idempotencyKey)).toEqual([`bg:${r.taskId}:result`]);
  });

  it("the same idempotency key twice starts one child and returns the same task", async () => {
    const p = await parent();
    const task = uniqueName("dedupe");
    const first = started(
      await p.startTask("Worker", { task, delayMs: 300 }, { idempotencyKey: "import-42" })
    );
    const second = started(
      await p.startTask("Worker", { task, delayMs: 300 }, { idempotencyKey: "import-42" })
    );
    expect(second).toEqual({ ...first, deduped: true });
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    // After it finished, the key still maps to the same task.
    const third = started(
      await p.startTask("Worker", { task, delayMs: 300 }, { idempotencyKey: "import-42" })
    );
    expect(third.taskId).toBe(first.taskId);
    expect(third.deduped).toBe(true);
    await sleep(500);
    expect((await p.childStats(task)).calls).toBe(1);
    expect(await p.taskCount()).toBe(1);
    expect(await noticesOf(p)).toHaveLength(1);
  });

  it("a child that errors gives one error notice carrying the error text", async () => {
    const p = await parent();
    const r = started(
      await p.startTask("Worker", { task: uniqueName("err"), fail: "boom: the disk is full" })
    );
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1000);
    expect(await noticesOf(p)).toHaveLength(1);
    expect(got[0]?.status).toBe("failed");
    expect(got[0]?.text).toContain("boom: the disk is full");
    const task = await taskOf(p, r.taskId);
    expect(task?.status).toBe("failed");
    expect(task?.error).toContain("boom: the disk is full");
  });

  it("a dispatch that fails becomes a failed task with a notice, never a task stuck running", async () => {
    const p = await parent();
    const name = uniqueName("broken");
    const r = started(await p.startTask("BrokenStart", { task: name }));
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(got[0]?.status).toBe("failed");
    expect(got[0]?.text).toContain("cannot start: quota exhausted");
    const task = await taskOf(p, r.taskId);
    expect(task?.status).toBe("failed");
    expect(task?.error).toContain("dispatch failed");
    // The dispatch and its three retries, then no more.
    await sleep(1500);
    expect((await p.childStats(name)).calls).toBe(4);
  });

  it("a task cancelled while its refused dispatch waits for a retry is not handed over again", async () => {
    const p = await parent();
    const name = uniqueName("broken-cancel");
    const r = started(await p.startTask("BrokenStart", { task: name }));
    await until(
      async () => (await p.childStats(name)).calls,
      (calls) => calls === 1
    );
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    await sleep(2500);
    expect((await p.childStats(name)).calls).toBe(1);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("a dispatch that finds the backbone job missing arms it again", async () => {
    const p = await parent();
    started(await p.startTask("Worker", { task: uniqueName("a"), delayMs: 3000 }));
    const ticks = async () => (await p.jobs()).filter((j) => j.callback === "backgroundTick");
    await p.dropJobs();
    expect(await ticks()).toHaveLength(0);
    started(await p.startTask("Worker", { task: uniqueName("b"), delayMs: 3000 }));
    expect(await ticks()).toHaveLength(1);
  });

  it("cuts output over the notice limit and says how to read the rest", async () => {
    const p = await getAgentByName(testEnv.LimitedParent, uniqueName("cut"));
    const r = started(await p.startTask("Worker", { task: uniqueName("long"), outputChars: 5000 }));
    const got = await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(got[0]?.text).toContain("[output cut: 4800 more characters");
    // The rest is read with the check tool, from where the notice stopped.
    expect(got[0]?.text).toContain(`check_background_task { task_id: "${r.taskId}", offset: 200 }`);
    // The ledger keeps the whole output.
    expect((await taskOf(p, r.taskId))?.summary).toHaveLength(5000);
  });
});

describe("bad input", () => {
  async function expectRefused(
    result: unknown,
    code: string,
    field: string,
    p: { taskCount(): Promise<number>; sdkRuns(): Promise<unknown[]> }
  ) {
    const envelope = result as { error?: { code: string; field?: string; message: string } };
    expect(envelope.error?.code).toBe(code);
    expect(envelope.error?.field).toBe(field);
    expect(envelope.error?.message).toContain(field);
    expect(await p.taskCount()).toBe(0);
    expect(await p.sdkRuns()).toHaveLength(0);
  }

  it("refuses an unknown child class, and one that is not a chat agent", async () => {
    const p = await parent();
    await expectRefused(
      await p.startTask("Unexported", { task: "x" }),
      "unknown_agent",
      "agent",
      p
    );
    await expectRefused(
      await p.startTask("PlainAgent", { task: "x" }),
      "not_chat_agent",
      "agent",
      p
    );
  });

  it("refuses oversize input, naming the field and the limit", async () => {
    const p = await getAgentByName(testEnv.LimitedParent, uniqueName("big"));
    const task = uniqueName("big");
    const result = await p.startTask("Worker", { task: `${task}${"y".repeat(2000)}` });
    await expectRefused(result, "limit_exceeded", "input", p);
    expect(JSON.stringify(result)).toContain("limit 1024");
  });

  it("refuses a negative or non-numeric budget", async () => {
    const p = await parent();
    for (const budgetMs of [-5, 0, Number.NaN, "soon", Number.POSITIVE_INFINITY]) {
      await expectRefused(
        await p.startWith("Worker", { input: { task: "x" }, budgetMs }),
        "invalid_input",
        "budgetMs",
        p
      );
    }
  });

  it("refuses other malformed options without writing anything", async () => {
    const p = await parent();
    await expectRefused(await p.startWith("Worker", {}), "invalid_input", "input", p);
    await expectRefused(
      await p.startWith("Worker", { input: { task: "x" }, idempotencyKey: "" }),
      "invalid_input",
      "idempotencyKey",
      p
    );
    await expectRefused(
      await p.startWith("Worker", { input: { task: "x" }, delivery: "shout" }),
      "invalid_input",
      "delivery",
      p
    );
    // Only a method the application defines may receive notices: never one of the SDK's.
    for (const onFinish of ["nope", "destroy", "backgroundTick", "constructor", "toString"]) {
      await expectRefused(
        await p.startWith("Worker", { input: { task: "x" }, delivery: { onFinish } }),
        "invalid_input",
        "delivery.onFinish",
        p
      );
    }
    await expectRefused(
      await p.startWith("Worker", { input: { task: "x" }, metadata: { source: "" } }),
      "invalid_input",
      "metadata.source",
      p
    );
  });

  it("refuses a task past the concurrency limit, and starts no child for it", async () => {
    const p = await getAgentByName(testEnv.LimitedParent, uniqueName("many"));
    started(await p.startTask("Worker", { task: uniqueName("a"), delayMs: 3000 }));
    started(await p.startTask("Worker", { task: uniqueName("b"), delayMs: 3000 }));
    const extra = uniqueName("c");
    const refused = (await p.startTask("Worker", { task: extra, delayMs: 10 })) as {
      error?: { code: string; field?: string };
    };
    expect(refused.error?.code).toBe("limit_exceeded");
    expect(refused.error?.field).toBe("maxConcurrentTasks");
    expect(await p.taskCount()).toBe(2);
    expect(await p.sdkRuns()).toHaveLength(2);
    await sleep(300);
    expect((await p.childStats(extra)).calls).toBe(0);
  });

  it("a host without a chat must name an onFinish method", async () => {
    const host = await getAgentByName(testEnv.CallbackHost, uniqueName("nochat"));
    const result = (await host.startWithoutDelivery("Worker", { task: "x" })) as {
      error?: { code: string; field?: string };
    };
    expect(result.error?.code).toBe("invalid_input");
    expect(result.error?.field).toBe("delivery");
  });
});
