// The faults: how each kind is set up before a round's tasks start and
// injected while they run. A parent restart is `abortAllDurableObjects()`
// (every object and facet restarts, storage kept: what a deploy does); a
// child restart aborts one facet alone; chat faults make Think's
// `submitMessages` throw or hang a bounded number of times.

import { abortAllDurableObjects } from "cloudflare:test";
import type { ChaosRun } from "../worker/index";
import type { ParentHandle } from "./parents";
import { sleep } from "./parents";
import type { Rng } from "./rng";
import type { Round } from "./schedule";
import type { Watcher } from "./watch";

/** What a round's faults did. */
export type FaultLog = {
  /** When each restart of everything happened. */
  restarts: number[];
  childRestarts: number;
  /** Fault points a round meant to hit and could not reach (with why). */
  missed: string[];
};

export type FaultContext = {
  round: Round;
  r: Rng;
  parents: readonly ParentHandle[];
  watcher: Watcher;
  log: FaultLog;
};

/** Storms: this many restarts of everything, each this far apart. */
const STORM_RESTARTS = 4;
const STORM_GAP_MS: [number, number] = [300, 1000];
/** The longest a round waits for its fault point (a notice owed, a submission stored). */
const POINT_WAIT_MS = 8000;

export async function restartEverything(log: FaultLog): Promise<void> {
  await abortAllDurableObjects();
  log.restarts.push(Date.now());
}

/** Every child run of the round's parents, as last read. */
function runsOf(ctx: FaultContext, parent: number): ChaosRun[] {
  return (ctx.watcher.views[parent]?.tasks ?? []).map((t) => ({ agent: t.agent, runId: t.runId }));
}

/** Restart every child of the round that exists now (a finished one too). */
async function restartChildren(ctx: FaultContext): Promise<void> {
  await ctx.watcher.look();
  const counts = await Promise.all(
    ctx.parents.map((p, i) => p.call((s) => s.restartChildren(runsOf(ctx, i))))
  );
  const restarted = counts.reduce((a, b) => a + b, 0);
  ctx.log.childRestarts += restarted;
  if (restarted === 0) ctx.log.missed.push("no child to restart");
}

async function restart(ctx: FaultContext): Promise<void> {
  if (ctx.round.scenario.target === "child") await restartChildren(ctx);
  else await restartEverything(ctx.log);
}

/** Before the tasks start: hold deliveries at a crash point, or break the chat. */
export async function prepare(ctx: FaultContext): Promise<void> {
  const { fault } = ctx.round.scenario;
  const [first] = ctx.parents;
  if (!first) return;
  if (fault === "after-end-before-delivery") await first.call((s) => s.armHold("before-submit"));
  if (fault === "during-delivery") await first.call((s) => s.armHold("after-submit"));
  // Fewer failures than the six attempts a notice gets: each must be recovered.
  if (fault === "submit-throw") {
    await first.call((s) => s.failSubmissions("throw", ctx.r.int(1, 5)));
  }
  if (fault === "submit-hang") await first.call((s) => s.failSubmissions("hang", ctx.r.int(1, 3)));
}

/**
 * Inject the round's fault once its tasks have started. (Restarts before
 * the write, and children cut as they are born, are made while starting.)
 */
export async function inject(ctx: FaultContext): Promise<void> {
  const { fault, target } = ctx.round.scenario;
  const { r, watcher, log } = ctx;
  switch (fault) {
    case "before-write":
    case "submit-throw":
    case "submit-hang":
      return;
    case "after-write":
      if (target === "parent") await restartEverything(log);
      else await restartWhenRecorded(ctx);
      return;
    case "mid-run":
      await sleep(r.int(200, 1200));
      await restart(ctx);
      return;
    case "after-end-before-delivery":
    case "during-delivery": {
      // Held at the crash point: wait until a notice is owed (or submitted), then restart.
      const reached = await watcher.until(
        (views) =>
          fault === "during-delivery"
            ? (views[0]?.submitted ?? 0) > 0
            : (views[0]?.slots.length ?? 0) > 0,
        Date.now() + POINT_WAIT_MS
      );
      if (!reached) log.missed.push(`${fault}: not reached in ${POINT_WAIT_MS} ms`);
      await restart(ctx);
      // A child restart leaves the parent held: let its deliveries go on.
      if (target === "child") await ctx.parents[0]?.call((s) => s.releaseHold());
      return;
    }
    case "during-turn": {
      const turn = ctx.parents[0]?.once((s) => s.userTurn("SLOW:3000")).catch(() => null);
      await sleep(r.int(300, 1500));
      await restart(ctx);
      await turn;
      return;
    }
    case "storm":
      for (let i = 0; i < STORM_RESTARTS; i++) {
        await sleep(r.int(...STORM_GAP_MS));
        await restartEverything(log);
      }
      return;
    case "fleet":
      await sleep(r.int(300, 1500));
      await restartEverything(log);
      return;
    case "batch-each":
    case "batch-all":
    case "chain":
      // Twice along the way: as items queue behind the cap, or links wait on the last.
      for (let i = 0; i < 2; i++) {
        await sleep(r.int(300, 1500));
        await restart(ctx);
      }
      return;
  }
}

/**
 * After the write: restart each child once it has recorded its run. A child
 * that records late (or never) is restarted after 1.5 s without a record.
 */
async function restartWhenRecorded(ctx: FaultContext): Promise<void> {
  await ctx.watcher.look();
  const done = await Promise.all(
    ctx.parents.map((p, i) => p.call((s) => s.restartWhenRecorded(runsOf(ctx, i), 1500)))
  );
  for (const d of done) ctx.log.childRestarts += d.restarted;
}
