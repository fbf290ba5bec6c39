// The fault campaign: seeded random tasks with random outcomes, and a restart
// of the parent (every object) or of a child at a random point of their
// lives. For every task the notices delivered must be the notices expected:
// no loss, no duplicate, no wrong status; and the backbone must end idle.
// `npm run chaos` runs 500+ tasks; `npm test` runs a small seeded campaign.

import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import type { ChaosTask, ChildInput, ChildName, Env } from "../worker/index";
import type { Counts, Report } from "./report";

const testEnv = env as unknown as Env & { CHAOS_TASKS?: string; CHAOS_SEED?: string };
const TOTAL = Number(testEnv.CHAOS_TASKS ?? 10);
const SEED = Number(testEnv.CHAOS_SEED ?? 7);
const ROUND = TOTAL >= 100 ? 10 : 5;

const KINDS = ["completed", "error", "cancelled", "budget", "late", "never"] as const;
type Kind = (typeof KINDS)[number];
const POINTS = [
  "before-write",
  "after-write",
  "mid-run",
  "after-end-before-delivery",
  "during-delivery",
  "during-turn"
] as const;
type Point = (typeof POINTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Backbone jobs due within the hour: polling. An idle parent keeps only its retention sweep, days ahead. */
async function pollingJobs(p: { jobs(): Promise<{ callback: string; time: number }[]> }) {
  const hour = Date.now() + 60 * 60 * 1000;
  return (await p.jobs()).filter((j) => j.callback === "backgroundTick" && j.time < hour);
}

/** mulberry32: a small seeded generator, so a campaign can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  };
}

type Plan = {
  kind: Kind;
  child: ChildName;
  input: ChildInput;
  budgetMs?: number;
  cancelAfterMs?: number;
  key: string;
};

function plan(r: ReturnType<typeof rng>, key: string): Plan {
  const kind = r.pick(KINDS);
  const task = `chaos-${key}`;
  switch (kind) {
    case "completed":
      return { kind, key, child: "Worker", input: { task, delayMs: r.int(100, 1500) } };
    case "error":
      return {
        kind,
        key,
        child: "Worker",
        input: { task, fail: "chaos: boom", delayMs: r.int(50, 800) }
      };
    case "cancelled":
      return {
        kind,
        key,
        child: "Worker",
        input: { task, delayMs: 15_000 },
        cancelAfterMs: r.int(200, 1500)
      };
    case "budget":
      return {
        kind,
        key,
        child: "Worker",
        input: { task, delayMs: 15_000 },
        budgetMs: r.int(1000, 2500)
      };
    case "late":
      return { kind, key, child: "SlowStarter", input: { task, startDelayMs: 4500, delayMs: 100 } };
    case "never":
      return { kind, key, child: "NeverStarts", input: { task } };
  }
}

describe("chaos", () => {
  it(`${TOTAL} tasks, seed ${SEED}: every notice expected is delivered once, and nothing else`, async () => {
    const r = rng(SEED);
    const counts: Counts = {
      tasks: 0,
      faults: 0,
      expected: 0,
      delivered: 0,
      duplicated: 0,
      lost: 0,
      wrongStatus: 0,
      rounds: 0
    };
    const failures: string[] = [];
    const byPoint: Record<string, number> = {};
    for (let round = 0; counts.tasks < TOTAL; round++) {
      const size = Math.min(ROUND, TOTAL - counts.tasks);
      const point: Point = r.pick(POINTS);
      const target =
        point === "mid-run" || point === "after-write"
          ? r.pick(["parent", "child"] as const)
          : "parent";
      byPoint[`${point}/${target}`] = (byPoint[`${point}/${target}`] ?? 0) + 1;
      const name = `chaos-${SEED}-${round}`;
      let p = await getAgentByName(testEnv.ChaosParent, name);
      const plans = Array.from({ length: size }, (_, i) => plan(r, `${SEED}-${round}-${i}`));
      const start = (x: Plan) =>
        p.startTask(x.child, x.input, {
          idempotencyKey: x.key,
          ...(x.budgetMs === undefined ? {} : { budgetMs: x.budgetMs })
        });
      const restartParent = async () => {
        await abortAllDurableObjects();
        counts.faults++;
        p = await getAgentByName(testEnv.ChaosParent, name);
      };

      if (point === "after-end-before-delivery") await p.armHold("before-submit");
      if (point === "during-delivery") await p.armHold("after-submit");
      const t0 = Date.now();
      if (point === "before-write") {
        // The restart races the start calls; the caller then retries each with its key.
        const racing = plans.map((x) => start(x).catch(() => null));
        await restartParent();
        await Promise.all(racing);
        for (const x of plans) await start(x);
      } else {
        for (const x of plans) await start(x);
      }
      // Task ids by plan: starting again with the same key returns the same task.
      const ids = new Map<string, Plan>();
      for (const x of plans) {
        const res = (await start(x)) as { taskId?: string };
        if (res.taskId) ids.set(res.taskId, x);
      }

      if (point === "after-write") {
        if (target === "parent") await restartParent();
        else await restartChildren();
      } else if (point === "mid-run") {
        await sleep(r.int(200, 1200));
        if (target === "parent") await restartParent();
        else await restartChildren();
      } else if (point === "after-end-before-delivery" || point === "during-delivery") {
        // Held at the crash point: wait until a notice is owed (or submitted), then restart.
        const end = Date.now() + 8000;
        while (Date.now() < end) {
          const tasks = (await p.chaosTasks()) as ChaosTask[];
          if (tasks.some((t) => t.slots.length > 0)) break;
          await sleep(100);
        }
        await restartParent();
      } else if (point === "during-turn") {
        const turn = p.userTurn("SLOW:3000").catch(() => null);
        await sleep(r.int(300, 1500));
        await restartParent();
        await turn;
      }

      async function restartChildren() {
        for (const t of (await p.chaosTasks()) as ChaosTask[]) {
          const x = ids.get(t.id);
          if (x && t.status === "running" && (await p.restartChild(x.child, t.runId)))
            counts.faults++;
        }
      }

      const cancelOutcomes = new Map<string, string>();
      await Promise.all(
        plans.map(async (x) => {
          if (x.cancelAfterMs === undefined) return;
          const id = [...ids.entries()].find(([, v]) => v === x)?.[0];
          if (!id) return;
          await sleep(Math.max(0, x.cancelAfterMs - (Date.now() - t0)));
          const res = (await p.cancelTask(id)) as { outcome: string };
          cancelOutcomes.set(id, res.outcome);
        })
      );

      // Settle: every task ended, every opened slot delivered, the backbone idle.
      const deadline = Date.now() + 45_000;
      let tasks: ChaosTask[] = [];
      for (;;) {
        tasks = (await p.chaosTasks()) as ChaosTask[];
        const lateWaiting = tasks.some(
          (t) => ids.get(t.id)?.kind === "late" && t.status === "gave_up" && Date.now() - t0 < 9000
        );
        const settled =
          tasks.length === size &&
          tasks.every((t) => !["running", "waiting", "scheduled"].includes(t.status)) &&
          tasks.every((t) => t.slots.every((s) => s.delivered)) &&
          !lateWaiting &&
          (await pollingJobs(p)).length === 0;
        if (settled || Date.now() > deadline) break;
        await p.makeJobsDue().catch(() => 0);
        await sleep(250);
      }
      await sleep(300);
      const messages = (await p.noticeMessages()) as { taskId: string; status: string }[];

      for (const t of tasks) {
        const x = ids.get(t.id);
        if (!x) continue;
        counts.tasks++;
        // The child's own final word on its run (a stale run is sealed, as the backbone does).
        const truth = (await p.inspectChild(x.child, t.runId, true)) as { status: string } | null;
        const got = messages.filter((m) => m.taskId === t.id).map((m) => m.status);
        const expected = expectedNotices(x, t, truth?.status ?? null, cancelOutcomes.get(t.id));
        counts.expected += expected.length;
        const seen = new Map<string, number>();
        for (const s of got) seen.set(s, (seen.get(s) ?? 0) + 1);
        for (const [s, n] of seen) {
          if (n > 1) counts.duplicated += n - 1;
          if (!expected.includes(s)) counts.wrongStatus++;
        }
        for (const s of expected) {
          if (seen.has(s)) counts.delivered++;
          else counts.lost++;
        }
        const ok = expected.length === seen.size && expected.every((s) => seen.get(s) === 1);
        if (!ok) {
          failures.push(
            `${t.id} kind=${x.kind} point=${point}/${target} status=${t.status} child=${truth?.status ?? "none"} expected=[${expected}] got=[${got}]`
          );
        }
      }
      const jobs = await pollingJobs(p);
      if (jobs.length > 0) failures.push(`round ${round}: backbone not idle (${jobs.length} jobs)`);
      counts.rounds++;
    }
    const report: Report = { seed: SEED, ...counts, byPoint, failures };
    console.log(`CHAOS ${JSON.stringify(report)}`);
    console.log(
      `chaos: ${counts.tasks} tasks, ${counts.faults} faults injected, ${counts.expected} notices expected, ${counts.delivered} delivered, ${counts.duplicated} duplicated, ${counts.lost} lost, ${counts.wrongStatus} with a wrong status`
    );
    expect(failures).toEqual([]);
    expect(counts.tasks).toBe(TOTAL);
  });
});

/**
 * The notices a task must end with, from its plan and the child's own final
 * state. A result is expected exactly when the child really ended with one
 * (and the engine did not stop it); its status must be the child's.
 */
function expectedNotices(
  x: Plan,
  task: ChaosTask,
  child: string | null,
  cancel: string | undefined
): string[] {
  const result = child === "completed" ? ["completed"] : child === "error" ? ["failed"] : [];
  switch (x.kind) {
    case "completed":
    case "error":
      return result;
    case "cancelled":
      return cancel === "cancelled" ? ["cancelled"] : result;
    case "budget":
      // Given up and stopped at its budget, unless the child ended first (a
      // restart can end it with an error); a result still comes if it had one.
      if (result.length === 0) return ["gave_up"];
      return task.slots.some((x) => x.slot === "gave_up") ? ["gave_up", ...result] : result;
    case "late":
      // A premature give-up is allowed (and then the late result still comes).
      return task.slots.some((s) => s.slot === "gave_up") ? ["gave_up", ...result] : result;
    case "never":
      return ["gave_up"];
  }
}
