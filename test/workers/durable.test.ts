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
