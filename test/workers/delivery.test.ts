// Bounded, honest delivery: every call has a timeout, failed attempts are
// retried with backoff up to a cap, a notice that never gets through is
// marked failed (and retried by hand), and a transient failure still ends in
// exactly one notice. Notices ready together while the model is busy go into
// one turn.
import { abortAllDurableObjects } from "cloudflare:test";
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

function deliveryParent(name = uniqueName("dl")) {
  return getAgentByName(testEnv.DeliveryParent, name);
}

describe("a submission that fails", () => {
  it("twice, then works: exactly one notice, after three attempts", async () => {
    const p = await deliveryParent();
    await p.failSubmissions("throw", 2);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      15_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
    const notice = (await taskOf(p, r.taskId))?.notices[0];
    expect(notice).toMatchObject({ state: "delivered", attempts: 3, lastError: null });
    expect((await p.submitLog()).map((s) => s.outcome)).toEqual(["throw", "throw", "pass"]);
  });

  it("every time: marked failed after the last attempt, the backbone goes idle, and a retry by hand delivers it once", async () => {
    const p = await deliveryParent();
    await p.failSubmissions("throw", -1);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    const failed = await until(
      async () => (await taskOf(p, r.taskId))?.notices[0],
      (n) => n?.state === "failed",
      15_000
    );
    expect(failed).toMatchObject({ state: "failed", attempts: 3, deliveredAt: null });
    expect(failed?.lastError).toContain("the chat is down");
    expect(await noticesOf(p)).toHaveLength(0);
    // Nothing is retried on its own any more: no job keeps the parent awake.
    await until(
      () => pollingJobs(p),
      (jobs) => jobs.length === 0,
      5000
    );
    expect((await p.submitLog()).length).toBe(3);
    await p.failSubmissions("throw", 0);
    expect(await p.retryDeliveryOf(r.taskId)).toEqual({ taskId: r.taskId, requeued: 1 });
    await until(
      () => noticesOf(p),
      (n) => n.length > 0
    );
    await sleep(1000);
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
    expect((await taskOf(p, r.taskId))?.notices[0]?.state).toBe("delivered");
    expect(await p.retryDeliveryOf(r.taskId)).toEqual({ taskId: r.taskId, requeued: 0 });
  });

  it("that hangs is timed out, and other tasks' notices flow meanwhile", async () => {
    const p = await deliveryParent();
    const stuck = started(await p.startTask("Worker", { task: uniqueName("stuck"), delayMs: 50 }));
    await p.failSubmissions("hang", -1, stuck.taskId);
    const t0 = Date.now();
    const others = [];
    for (let i = 0; i < 3; i++) {
      others.push(
        started(await p.startTask("Worker", { task: uniqueName("ok"), delayMs: 300 + 200 * i }))
      );
    }
    const got = await until(
      () => noticesOf(p),
      (n) => n.length >= 3,
      15_000
    );
    // Each hang costs one timeout (400 ms), not a restart.
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(got.map((n) => n.taskId).sort()).toEqual(others.map((o) => o.taskId).sort());
    const stuckNotice = await until(
      async () => (await taskOf(p, stuck.taskId))?.notices[0],
      (n) => n?.state === "failed",
      15_000
    );
    expect(stuckNotice?.lastError).toContain("timed out after 400 ms");
  });

  it("once, then the parent restarts during the backoff: one notice", async () => {
    const name = uniqueName("dl-restart");
    let p = await deliveryParent(name);
    await p.failSubmissions("throw", 1);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    await until(
      async () => (await p.submitLog()).length,
      (n) => n >= 1
    );
    await abortAllDurableObjects();
    p = await deliveryParent(name);
    await until(
      () => noticesOf(p),
      (n) => n.length > 0,
      15_000
    );
    await p.makeJobsDue();
    await sleep(1500);
    expect((await noticesOf(p)).map((n) => n.taskId)).toEqual([r.taskId]);
  });
});

describe("a callback that fails", () => {
  it("is retried until it works: one call that counts, at its slot's key", async () => {
    const host = await getAgentByName(testEnv.CallbackHost, uniqueName("cb-flaky"));
    await host.failCallbacks(2);
    const r = started(await host.startTask("Worker", { task: uniqueName("t"), delayMs: 100 }));
    await until(
      () => host.finishLog(),
      (log) => log.length > 0,
      15_000
    );
    await host.makeJobsDue();
    await sleep(1500);
    expect(await host.finishLog()).toEqual([
      { key: `bg:${r.taskId}:result`, slot: "result", status: "completed" }
    ]);
    expect((await taskOf(host, r.taskId))?.notices[0]).toMatchObject({
      state: "delivered",
      attempts: 3
    });
  });
});

describe("notices ready together while the model is busy", () => {
  it("go into one turn: each notice once, each with its own stamp", async () => {
    const p = await getAgentByName(testEnv.TestParent, uniqueName("burst"));
    const turn = p.userTurn("SLOW:2500");
    await sleep(200);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(
        started(await p.startTask("Worker", { task: uniqueName(`b${i}`), delayMs: 100 + 50 * i }))
          .taskId
      );
    }
    await turn;
    const got = await until(
      () => noticesOf(p),
      (n) => n.length >= 8,
      20_000
    );
    await sleep(1500);
    expect(got.map((n) => n.taskId).sort()).toEqual([...ids].sort());
    expect((await noticesOf(p)).length).toBe(8);
    // One turn for the user's message, one for all eight notices.
    const turns = (await p.modelLog()).length;
    expect(turns).toBe(2);
    // One submission carried all eight, under a group key.
    const keys = (await p.submissions()).map((s) => s.idempotencyKey ?? "");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^bg:group:/);
  });

  it("a full group goes at once, queued behind the busy turn, and the burst's tail when it pauses", async () => {
    const p = await getAgentByName(testEnv.GroupParent, uniqueName("full"));
    let turnEnded = false;
    const turn = p.userTurn("SLOW:5000").then(() => {
      turnEnded = true;
    });
    await sleep(200);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        started(await p.startTask("Worker", { task: uniqueName(`f${i}`), delayMs: 100 + 30 * i }))
          .taskId
      );
    }
    // Groups of three (maxNoticesPerTurn): two full ones, then the seventh
    // alone once the burst pauses, all while the turn still runs.
    const early = await until(
      () => p.submissions(),
      (s) => s.length >= 3,
      4000
    );
    expect(turnEnded).toBe(false);
    expect(early).toHaveLength(3);
    await turn;
    await until(
      () => noticesOf(p),
      (n) => n.length >= 7,
      20_000
    );
    await sleep(1500);
    const notices = await noticesOf(p);
    expect(notices.map((n) => n.taskId).sort()).toEqual([...ids].sort());
    // Three groups (3 + 3 + 1) and the user's turn: four model turns.
    expect(await p.submissions()).toHaveLength(3);
    expect(await p.modelLog()).toHaveLength(4);
  });
});
