// The soak: thousands of tasks through one parent, with retention on and
// off, reading the parent's storage at intervals: rows per table, child
// agents left, and SQLite sizes. With retention on, every figure must level
// off; with it off, they grow with the tasks. `npm run soak` runs it at full
// size (SOAK_TASKS, default 10,000) and writes docs/performance.md; a small
// run is part of `npm test`.

import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import type { Env } from "../worker/index";
import type { SoakPoint, SoakReport } from "./report";

const testEnv = env as unknown as Env & { SOAK_TASKS?: string };
const TOTAL = Number(testEnv.SOAK_TASKS ?? 600);
/** Tasks started at once, and the most left running before the next batch. */
const BATCH = 200;
const MAX_RUNNING = 250;
const SAMPLES = 10;
/** Children read for their SQLite size at each sample (their mean stands for all). */
const CHILD_SAMPLE = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function soak(kind: "on" | "off"): Promise<SoakPoint[]> {
  const ns = kind === "on" ? testEnv.SoakParent : testEnv.SoakKeepParent;
  const p = await getAgentByName(ns, `soak-${kind}-${crypto.randomUUID()}`);
  const points: SoakPoint[] = [];
  const every = Math.max(BATCH, Math.floor(TOTAL / SAMPLES / BATCH) * BATCH);
  const t0 = Date.now();
  for (let done = 0; done < TOTAL; ) {
    while ((await p.running()) > MAX_RUNNING - BATCH) await sleep(100);
    const n = Math.min(BATCH, TOTAL - done);
    await p.startSilent(n, `${kind}-${done}`);
    done += n;
    if (done % every === 0 || done === TOTAL) {
      points.push({
        tasks: done,
        seconds: (Date.now() - t0) / 1000,
        ...(await p.stats(CHILD_SAMPLE))
      });
    }
  }
  // Everything ended; then what retention owes is pruned on the backbone's ticks.
  while ((await p.running()) > 0) await sleep(250);
  await sleep(1500);
  await p.tickNow();
  points.push({
    tasks: TOTAL,
    seconds: (Date.now() - t0) / 1000,
    ...(await p.stats(CHILD_SAMPLE))
  });
  return points;
}

describe("soak", () => {
  it(`${TOTAL} tasks through one parent, retention on and off`, async () => {
    const on = await soak("on");
    const off = await soak("off");
    const report: SoakReport = { total: TOTAL, on, off };
    console.log(`SOAK ${JSON.stringify(report)}`);
    const lastOn = on[on.length - 1];
    const lastOff = off[off.length - 1];
    if (!lastOn || !lastOff) throw new Error("no samples");
    // Off: every task kept whole, with its child.
    expect(lastOff.tables.bg_tasks).toBe(TOTAL);
    expect(lastOff.children).toBe(TOTAL);
    // On: at most maxEndedTasks whole tasks, children and SDK rows, whatever the total.
    expect(lastOn.tables.bg_tasks).toBeLessThanOrEqual(500);
    expect(lastOn.children).toBeLessThanOrEqual(500);
    expect(lastOn.tables.cf_agent_tool_runs).toBeLessThanOrEqual(500);
    expect(lastOn.tables.cf_agents_sub_agents).toBeLessThanOrEqual(500);
    // Summaries are bounded too (maxPrunedSummaries: 1000 here).
    expect(lastOn.tables.bg_pruned).toBeLessThanOrEqual(1000);
    // And at every sample on the way, not only once the tasks are done: besides
    // the ones running, at most maxEndedTasks ended tasks and the one batch that
    // may end between two sweeps (pruning keeps pace; it does not fall behind).
    const bound = 500 + MAX_RUNNING + BATCH;
    const peak = Math.max(...on.map((point) => point.tables.bg_tasks ?? 0));
    const peakChildren = Math.max(...on.map((point) => point.children));
    expect(peak).toBeLessThanOrEqual(bound);
    expect(peakChildren).toBeLessThanOrEqual(bound);
  }, 3_600_000);
});
