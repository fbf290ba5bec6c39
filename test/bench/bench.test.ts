// The benchmark scenarios, each measured for the SDK's own modes and ours in
// the same run. Each prints one `BENCH {json}` line; `npm run bench` turns
// them into tables and docs/performance.md. In smoke mode (part of `npm test`)
// the sizes are tiny and the checks are about correctness, not speed.

import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import type { BenchNotice, Env } from "../worker/index";
import type { Burst, ParentsRow, Warm, WarmRun } from "./report";

const testEnv = env as unknown as Env & { BENCH_MODE?: string };
const FULL = testEnv.BENCH_MODE === "full";

const SIZES = FULL
  ? {
      overlap: [
        [1000, 3000],
        [2000, 2000],
        [3000, 1000],
        [4000, 4000]
      ],
      overlapReps: 3,
      dispatches: 200,
      warm: 40,
      restartReps: 3,
      restartWaitMs: 25_000,
      scale: [10, 100, 500],
      burst: 500,
      burstRounds: 3,
      // The gate opens this long after every child waits at it (see the burst).
      burstHoldMs: 3000,
      parents: [5, 20],
      perParent: 50,
      idleMs: 30_000
    }
  : {
      overlap: [[400, 400]],
      overlapReps: 1,
      dispatches: 10,
      warm: 3,
      restartReps: 1,
      restartWaitMs: 6000,
      scale: [5],
      burst: 5,
      burstRounds: 2,
      burstHoldMs: 0,
      parents: [2],
      perParent: 3,
      idleMs: 3000
    };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const modes = ["ours", "native"] as const;

function report(scenario: string, data: unknown) {
  console.log(`BENCH ${JSON.stringify({ scenario, mode: FULL ? "full" : "smoke", data })}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function bench(name: string) {
  return getAgentByName(testEnv.BenchParent, `${name}-${crypto.randomUUID()}`);
}

/** Every prefix's notice accepted (or, with `answered`, taken by the model), or the timeout. */
async function waitAll(
  p: { notices(): Promise<BenchNotice[]> },
  prefixes: string[],
  timeoutMs: number,
  answered = false
): Promise<BenchNotice[]> {
  const end = Date.now() + timeoutMs;
  const wanted = new Set(prefixes);
  for (;;) {
    const all = (await p.notices()) as BenchNotice[];
    const mine = all.filter((n) => wanted.has(keyPrefix(n.key)));
    const done = answered ? mine.filter((n) => n.answeredAt !== null) : mine;
    const covered = new Set(done.map((n) => keyPrefix(n.key)));
    if (covered.size === wanted.size || Date.now() > end) return mine;
    await sleep(100);
  }
}

/**
 * A notice key's task prefix: `bg:TASK:` (ours) or `detached-finish:RUN:`
 * (the SDK's). Looked up in a set, so each poll costs the test little of
 * the CPU it shares with the runs it measures.
 */
function keyPrefix(key: string): string {
  return key.slice(0, key.indexOf(":", key.indexOf(":") + 1) + 1);
}

/**
 * Wait until the runtime is quiet before a heavy run: what the last run left
 * behind (its children's last writes, its parent's alarms) would otherwise
 * be measured as part of the next. Quiet = three round trips in a row to an
 * idle object, each under 10 ms; at most 30 s.
 */
async function settle(): Promise<void> {
  // Found again each time: a restart of everything breaks an old stub.
  const probe = await getAgentByName(testEnv.BenchParent, "quiet");
  const end = Date.now() + 30_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < end) {
    const t = Date.now();
    await probe.ping();
    quiet = Date.now() - t < 10 ? quiet + 1 : 0;
    await sleep(100);
  }
}

describe("benchmarks", () => {
  it("overlap: request fully done, awaited vs ours vs native", async () => {
    const rows = [];
    for (const [p, c] of SIZES.overlap as [number, number][]) {
      const times: Record<string, number[]> = { awaited: [], ours: [], native: [] };
      for (let rep = 0; rep < SIZES.overlapReps; rep++) {
        for (const mode of ["awaited", "ours", "native"] as const) {
          const parent = await bench(`overlap-${mode}`);
          times[mode]?.push(await parent.overlap(mode, p, c));
        }
      }
      const median = (m: string) => percentile(times[m] ?? [], 50);
      rows.push({
        p,
        c,
        awaited: median("awaited"),
        ours: median("ours"),
        native: median("native"),
        reps: SIZES.overlapReps
      });
      expect(median("ours")).toBeLessThan(median("awaited"));
    }
    report("overlap", rows);
  });

  it("dispatch: time for start to return, inside the parent", async () => {
    const data: Record<string, { p50: number; p95: number; n: number }> = {};
    for (const mode of modes) {
      const parent = await bench(`dispatch-${mode}`);
      const ms: number[] = [];
      const prefixes: string[] = [];
      for (let i = 0; i < SIZES.dispatches; i++) {
        const r = await parent.dispatch(mode, {
          task: `d-${i}-${crypto.randomUUID()}`,
          delayMs: 0
        });
        ms.push(r.ms);
        prefixes.push(r.keyPrefix);
      }
      data[mode] = { p50: percentile(ms, 50), p95: percentile(ms, 95), n: ms.length };
      await waitAll(parent, prefixes, 120_000);
    }
    report("dispatch", data);
  });

  it("completion, warm: the child's end to the notice accepted, step by step", async () => {
    const parents = { ours: await bench("warm-ours"), native: await bench("warm-native") };
    const runs: Record<string, WarmRun[]> = { ours: [], native: [] };
    // The modes take turns, so a slow spell of the machine falls on both alike.
    for (let i = 0; i < SIZES.warm; i++) {
      for (const mode of i % 2 === 0 ? modes : [...modes].reverse()) {
        const parent = parents[mode];
        const r = await parent.dispatch(mode, {
          task: `w-${i}-${crypto.randomUUID()}`,
          delayMs: 200
        });
        const notice = await parent.waitNotice(r.keyPrefix, 30_000);
        const end = await parent.childEnd(r.runId);
        const { hook, submit } = await parent.steps(r.runId, r.keyPrefix);
        if (notice && end !== null && hook !== null && submit !== null) {
          runs[mode]?.push({ end, hook, submit, accepted: notice.createdAt });
        }
      }
    }
    const data: Record<string, Warm> = {};
    for (const mode of modes) {
      const list = runs[mode] ?? [];
      const stat = (f: (r: WarmRun) => number) => {
        const values = list.map(f);
        return { p50: percentile(values, 50), p95: percentile(values, 95) };
      };
      data[mode] = {
        n: list.length,
        ...stat((r) => r.accepted - r.end),
        steps: {
          heard: stat((r) => r.hook - r.end),
          own: stat((r) => r.submit - r.hook),
          accepted: stat((r) => r.accepted - r.submit)
        }
      };
    }
    // Every run's steps were stamped, in order, in both modes.
    for (const mode of modes) {
      expect(runs[mode]).toHaveLength(SIZES.warm);
      for (const r of runs[mode] ?? []) {
        expect(r.end).toBeLessThanOrEqual(r.hook);
        expect(r.hook).toBeLessThanOrEqual(r.submit);
        expect(r.submit).toBeLessThanOrEqual(r.accepted);
      }
    }
    report("warm", data);
  });

  it("after a parent restart mid-run: the child's end to the notice, and wake-ups", async () => {
    const data: Record<string, { latencies: (number | null)[]; wakeups: number[] }> = {};
    for (const mode of modes) {
      data[mode] = { latencies: [], wakeups: [] };
      for (let rep = 0; rep < SIZES.restartReps; rep++) {
        const name = `restart-${mode}-${crypto.randomUUID()}`;
        let parent = await getAgentByName(testEnv.BenchParent, name);
        const r = await parent.dispatch(mode, { task: `r-${crypto.randomUUID()}`, delayMs: 1500 });
        await sleep(300);
        await abortAllDurableObjects();
        // Untouched: only the parent's own alarm may wake it.
        await sleep(SIZES.restartWaitMs);
        parent = await getAgentByName(testEnv.BenchParent, name);
        const notice = (await parent.notices()).find((n) => n.key.startsWith(r.keyPrefix));
        const end = await parent.childEnd(r.runId);
        data[mode].latencies.push(notice && end ? notice.createdAt - end : null);
        data[mode].wakeups.push(await parent.ticks(mode));
      }
    }
    report("restart", data);
    expect(data.ours?.latencies.every((l) => l !== null)).toBe(true);
  });

  it("scale: N tasks at once on one parent", async () => {
    const rows = [];
    for (const n of SIZES.scale) {
      for (const mode of modes) {
        const parent = await bench(`scale-${mode}-${n}`);
        const t0 = Date.now();
        const prefixes: string[] = [];
        for (let i = 0; i < n; i++) {
          const r = await parent.dispatch(mode, {
            task: `s-${i}-${crypto.randomUUID()}`,
            delayMs: 200
          });
          prefixes.push(r.keyPrefix);
        }
        const dispatchMs = Date.now() - t0;
        const notices = await waitAll(parent, prefixes, 300_000);
        const allInMs = Math.max(...notices.map((x) => x.createdAt)) - t0;
        const perTask = prefixes.map(
          (prefix) => notices.filter((x) => x.key.startsWith(prefix)).length
        );
        const delivered = perTask.filter((k) => k >= 1).length;
        const duplicated = perTask.reduce((sum, k) => sum + Math.max(0, k - 1), 0);
        rows.push({ n, mode, dispatchMs, allInMs, delivered, duplicated, lost: n - delivered });
        if (mode === "ours") {
          expect(delivered).toBe(n);
          expect(duplicated).toBe(0);
        }
      }
    }
    report("scale", rows);
  });

  it("burst: N dispatched in one call, then every child ending at once", async () => {
    const n = SIZES.burst;

    async function burst(
      mode: (typeof modes)[number],
      size: number,
      round: number,
      position: number
    ) {
      await settle();
      const parent = await bench(`burst-${mode}`);
      const gateName = crypto.randomUUID();
      const inputs = Array.from({ length: size }, (_, i) => ({
        task: `b-${i}-${crypto.randomUUID()}`,
        gate: gateName
      }));
      // One call from outside: ours one `startMany`, the SDK's a loop of detached runs.
      const t0 = Date.now();
      const { keyPrefixes, ms } = await parent.dispatchMany(mode, inputs);
      const dispatchMs = Date.now() - t0;
      const end = Date.now() + 300_000;
      while ((await parent.gateWaiting(gateName)) < size && Date.now() < end) await sleep(200);
      const atGateMs = Date.now() - t0;
      // The ending is measured from a settled runtime in both modes: ours'
      // children all start at once and the last reach the gate with the
      // start-up work of the others still running; the SDK's dispatch spreads
      // theirs over its own time.
      await sleep(SIZES.burstHoldMs);
      const waiting = await parent.gateWaiting(gateName);
      const before = await parent.submissionCount();
      const opened = await parent.openGate(gateName);
      await waitAll(parent, keyPrefixes, 300_000);
      // Accepted is not yet seen: wait until the model has taken every notice.
      const notices = await waitAll(parent, keyPrefixes, 600_000, true);
      const perTask = keyPrefixes.map(
        (prefix) => notices.filter((x) => x.key.startsWith(prefix)).length
      );
      return {
        mode,
        round,
        position,
        n: size,
        dispatchMs,
        dispatchInsideMs: ms,
        atGateMs,
        holdMs: SIZES.burstHoldMs,
        waiting,
        allInMs: Math.max(...notices.map((x) => x.createdAt)) - opened,
        inChatMs: Math.max(...notices.map((x) => x.appliedAt ?? Number.NaN)) - opened,
        answeredMs: Math.max(...notices.map((x) => x.answeredAt ?? Number.NaN)) - opened,
        childrenEndedMs: ((await parent.lastChildEnd()) ?? Number.NaN) - opened,
        heardMs: ((await parent.lastHeard()) ?? Number.NaN) - opened,
        delivered: perTask.filter((k) => k >= 1).length,
        duplicated: perTask.reduce((sum, k) => sum + Math.max(0, k - 1), 0),
        turns: (await parent.submissionCount()) - before
      } satisfies Burst;
    }

    // The first burst in the isolate pays for code not yet warm (seconds on
    // the children's end): a small one of each mode first, not measured.
    for (const mode of modes) await burst(mode, Math.ceil(n / 5), 0, 0);
    // Then rounds of one run of each mode, in turn ours first and the SDK
    // first, so neither mode always follows the other.
    const runs: Burst[] = [];
    for (let round = 1; round <= SIZES.burstRounds; round++) {
      const order = round % 2 === 1 ? modes : [...modes].reverse();
      for (const [i, mode] of order.entries()) runs.push(await burst(mode, n, round, i + 1));
    }
    report("burst", runs);
    for (const run of runs.filter((r) => r.mode === "ours")) {
      expect(run).toMatchObject({ waiting: n, delivered: n, duplicated: 0 });
    }
  });

  it("parents: P parents × M tasks at once, with and without a restart of everything", async () => {
    const rows: ParentsRow[] = [];
    const m = SIZES.perParent;
    for (const restart of [false, true]) {
      for (const count of SIZES.parents) {
        for (const mode of modes) {
          const names = Array.from(
            { length: count },
            () => `parents-${mode}-${crypto.randomUUID()}`
          );
          await settle();
          let parents = await Promise.all(names.map((x) => getAgentByName(testEnv.BenchParent, x)));
          // With a restart, every child waits at a gate in the middle of its
          // turn (looking twice a second, to cost the others little), so the
          // restart cuts short the same work in every run.
          const gateName = restart ? crypto.randomUUID() : undefined;
          const t0 = Date.now();
          const dispatched = await Promise.all(
            parents.map((p) =>
              p.dispatchMany(
                mode,
                Array.from({ length: m }, (_, i) => ({
                  task: `p-${i}-${crypto.randomUUID()}`,
                  delayMs: 1000,
                  ...(gateName === undefined ? {} : { gate: gateName, gatePollMs: 500 })
                }))
              )
            )
          );
          const dispatchMs = Date.now() - t0;
          let restartMs = 0;
          let restartedAtMs: number | null = null;
          if (gateName !== undefined) {
            const end = Date.now() + 300_000;
            const first = parents[0];
            while (first && (await first.gateWaiting(gateName)) < count * m && Date.now() < end) {
              await sleep(200);
            }
            const r0 = Date.now();
            restartedAtMs = r0 - t0;
            await abortAllDurableObjects();
            restartMs = Date.now() - r0;
            parents = await Promise.all(names.map((x) => getAgentByName(testEnv.BenchParent, x)));
            // Open as the objects come back: the interrupted turns go on past it.
            await parents[0]?.openGate(gateName);
          }
          const all = await Promise.all(
            parents.map((p, i) => waitAll(p, dispatched[i]?.keyPrefixes ?? [], 300_000))
          );
          const notices = all.flat();
          const tasks = count * m;
          const delivered = dispatched.reduce(
            (sum, d, i) =>
              sum + d.keyPrefixes.filter((k) => all[i]?.some((x) => x.key.startsWith(k))).length,
            0
          );
          const allInMs = Math.max(...notices.map((x) => x.createdAt)) - t0;
          const ends = await Promise.all(parents.map((p) => p.lastChildEnd()));
          rows.push({
            childrenEndedMs: Math.max(...ends.map((e) => e ?? Number.NaN)) - t0,
            parents: count,
            perParent: m,
            mode,
            restart,
            dispatchMs,
            allInMs,
            restartMs,
            restartedAtMs,
            perTaskMs: (allInMs - restartMs) / tasks,
            delivered,
            duplicated: notices.length - delivered
          });
          if (mode === "ours") {
            expect(delivered).toBe(tasks);
            expect(notices.length).toBe(tasks);
          }
        }
      }
    }
    report("parents", rows);
  });

  it("idle: wake-ups with nothing outstanding", async () => {
    const data: Record<
      string,
      { windowMs: number; wakeups: number; perHour: number; jobs: number }
    > = {};
    for (const mode of modes) {
      const parent = await bench(`idle-${mode}`);
      const r = await parent.dispatch(mode, { task: `i-${crypto.randomUUID()}`, delayMs: 50 });
      await parent.waitNotice(r.keyPrefix, 30_000);
      await sleep(500);
      const since = Date.now();
      await sleep(SIZES.idleMs);
      const wakeups = await parent.ticks(mode, since);
      // Jobs due within the hour: ours keeps only its retention sweep, days ahead.
      const hour = Date.now() + 60 * 60 * 1000;
      const jobs = (await parent.jobs()).filter(
        (j) =>
          j.time < hour &&
          (mode === "ours"
            ? j.callback === "backgroundTick"
            : j.callback === "_cfDetachedReconcileTick")
      ).length;
      data[mode] = {
        windowMs: SIZES.idleMs,
        wakeups,
        perHour: (wakeups / SIZES.idleMs) * 3_600_000,
        jobs
      };
    }
    report("idle", data);
    expect(data.ours?.wakeups).toBe(0);
    expect(data.ours?.jobs).toBe(0);
  });
});
