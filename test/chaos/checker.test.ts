// The checker can fail: faults planted on purpose, in a real parent's chat,
// in a plan and in its schedule, are each reported as what they are. Without this, a
// campaign reporting "0 lost" could be a checker that sees nothing.

import { describe, expect, it } from "vitest";
import type { ChaosView } from "../worker/index";
import { check, isSettled, type RoundFacts, type TaskRecord } from "./checker";
import { ParentHandle } from "./parents";
import { planTask } from "./plan";
import { rng } from "./rng";
import { Watcher } from "./watch";

describe("the checker", () => {
  it("reports a notice taken out of the chat as lost, a copied one as duplicated, and a task that did not do as planned", async () => {
    const id = crypto.randomUUID();
    const parent = new ParentHandle(`checker-${id}`);
    const r = rng(1);
    const records: TaskRecord[] = [0, 1, 2, 3].map((i) => ({
      plan: planTask("completed", `planted-${id}-${i}`, r),
      cell: "planted/none/completed",
      parent: 0,
      taskId: null
    }));
    // The last one is planned to complete, but its child is told to fail.
    const lying = records[3];
    if (!lying) throw new Error("no record");
    for (const x of records) {
      const input = x === lying ? { ...x.plan.input, fail: "planted" } : x.plan.input;
      const res = await parent.call(async (s) =>
        s.startChaosTask(x.plan.child, input, { idempotencyKey: x.plan.key })
      );
      if ("error" in res) throw new Error(res.error.message);
      x.taskId = res.taskId;
    }
    const watcher = new Watcher([parent]);
    const facts = (views: ChaosView[]): RoundFacts => ({
      label: "planted",
      tasks: records,
      batches: [],
      views,
      firstSeen: watcher.firstSeen
    });
    expect(await watcher.until((v) => isSettled(facts(v)), Date.now() + 30_000)).toBe(true);
    const clean = check(facts(watcher.views));
    expect(clean).toMatchObject({ expected: 4, inChat: 4, lost: 0, duplicated: 0, unexpected: 0 });
    expect(clean).toMatchObject({ wrongOutcomes: 1, lostWork: 1 });
    expect(clean.failures).toEqual([
      expect.stringContaining(`${lying.taskId}: ended failed (planted), planned to complete`)
    ]);

    // Planted in the chat itself: one notice removed, another appended twice.
    const chat = watcher.views[0]?.chat.filter((m) => m.taskId !== lying.taskId) ?? [];
    const [dropped, copied] = chat;
    if (!dropped || !copied) throw new Error("no notices to plant faults on");
    expect(await parent.call((s) => s.dropMessage(dropped.id))).toBe(true);
    expect(await parent.call((s) => s.copyMessage(copied.id))).not.toBeNull();

    // The lost notice is waited for until the deadline, then reported.
    expect(await watcher.until((v) => isSettled(facts(v)), Date.now() + 3000)).toBe(false);
    const planted = check(facts(watcher.views));
    expect(planted).toMatchObject({
      expected: 4,
      inChat: 3,
      lost: 1,
      duplicated: 1,
      unexpected: 0
    });
    expect(planted.failures).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${dropped.taskId}: completed notice lost`),
        expect.stringContaining(`${copied.taskId}: completed notice 2 times`),
        expect.stringContaining(`${lying.taskId}: ended failed`)
      ])
    );
    expect(planted.failures).toHaveLength(3);

    // Planted on the parent: a backbone job left armed while no task waits on a run.
    await parent.call((s) => s.plantTick());
    const idle = check(facts(await watcher.look()));
    expect(idle.backboneNotIdle).toBe(1);
    expect(idle.failures).toEqual(
      expect.arrayContaining([expect.stringContaining("parent 0: backbone not idle (1 jobs)")])
    );
  });
});
