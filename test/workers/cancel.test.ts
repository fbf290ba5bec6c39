// Cancel: honest outcomes and exactly one notice.
import { describe, expect, it } from "vitest";
import { noticesOf, parent, sleep, started, taskOf, uniqueName, until } from "./helpers";

describe("cancel", () => {
  it("while running: the child stops, one cancelled notice, no notice of its abort", async () => {
    const p = await parent();
    const r = started(await p.startTask("Worker", { task: uniqueName("c"), delayMs: 5000 }));
    await sleep(300);
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    const child = (await p.inspectChild("Worker", r.runId)) as { status: string } | null;
    expect(child?.status).toBe("aborted");
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await p.makeJobsDue();
    await sleep(1500);
    const got = await noticesOf(p);
    expect(got.map((n) => n.status)).toEqual(["cancelled"]);
    expect(got[0]?.text).toContain("was cancelled");
    expect((await taskOf(p, r.taskId))?.status).toBe("cancelled");
  });

  it("after completion: already-finished with the outcome that won, and no extra notice", async () => {
    const p = await parent();
    const r = started(await p.startTask("Worker", { task: uniqueName("c"), delayMs: 50 }));
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    expect(await p.cancelTask(r.taskId)).toEqual({
      outcome: "already-finished",
      taskId: r.taskId,
      status: "completed"
    });
    await sleep(500);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["completed"]);
  });

  it("twice: one notice; the second call reports the cancel that won", async () => {
    const p = await parent();
    const r = started(await p.startTask("Worker", { task: uniqueName("c"), delayMs: 5000 }));
    const [first, second] = await Promise.all([p.cancelTask(r.taskId), p.cancelTask(r.taskId)]);
    const outcomes = [first, second].map((c) => c.outcome).sort();
    expect(outcomes).toEqual(["already-finished", "cancelled"]);
    expect(await p.cancelTask(r.taskId)).toEqual({
      outcome: "already-finished",
      taskId: r.taskId,
      status: "cancelled"
    });
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1000);
    expect((await noticesOf(p)).map((n) => n.status)).toEqual(["cancelled"]);
  });

  it("an unknown task: not-found", async () => {
    const p = await parent();
    expect(await p.cancelTask("task_00000000000000000000000000000000")).toEqual({
      outcome: "not-found",
      taskId: "task_00000000000000000000000000000000"
    });
  });
});
