// One round: fresh parents, the round's tasks started (as single tasks, a
// chain or a batch), its fault injected while the plans' cancels land, then
// a wait until every notice is in the chat (or the deadline), a quiet
// spell for duplicates to show, and the checker's verdict.

import type { ChaosView } from "../worker/index";
import { atRest, type BatchRecord, check, isSettled, type TaskRecord } from "./checker";
import { type FaultContext, type FaultLog, inject, prepare, restartEverything } from "./faults";
import { ParentHandle, sleep } from "./parents";
import { stopsChild } from "./plan";
import type { RoundFigures } from "./report";
import { rng } from "./rng";
import { cellName, type Round } from "./schedule";
import { Watcher } from "./watch";

/**
 * How long a round waits, after its faults, for every notice to be in the
 * chat: longer than the SDK's two minutes of waiting on a silent child run
 * when it re-attaches after a restart, so a notice that slow is reported
 * late, not lost. A round at rest (nothing running, owed or armed) that has
 * not settled stops waiting sooner.
 */
const SETTLE_MS = 150_000;
const AT_REST_MS = 15_000;
/** After settling: time for a duplicate to show before the last read. */
const QUIET_MS = 1500;

/** A round's figures for the report, and how long it took. */
export type RoundResult = RoundFigures & { ms: number };

export async function runRound(round: Round, seed: number): Promise<RoundResult> {
  const started = Date.now();
  const r = rng(seed * 10_007 + round.index);
  const { scenario } = round;
  const chatFault = scenario.fault === "submit-throw" || scenario.fault === "submit-hang";
  const parents = round.parents.map(
    (_, i) =>
      new ParentHandle(`chaos-${seed}-${round.index}-${i}`, chatFault ? "delivery" : "plain")
  );
  const records: TaskRecord[] = round.parents.flatMap((plans, parent) =>
    plans.map((plan) => ({ plan, cell: cellName(scenario, plan.outcome), parent, taskId: null }))
  );
  const batches: BatchRecord[] = [];
  const watcher = new Watcher(parents);
  const log: FaultLog = { restarts: [], childRestarts: 0, missed: [] };
  const ctx: FaultContext = { round, r, parents, watcher, log };

  await prepare(ctx);
  watcher.start();
  // Each plan's cancel is timed from its own start: a burst of starts can take a while.
  const cancels: Promise<void>[] = [];
  const onStarted = (record: TaskRecord) => {
    cancels.push(cancelLater(record, parents[record.parent], Date.now()));
  };
  const starting = startAll(round, parents, records, batches, log, r, onStarted);
  if (scenario.fault === "before-write" && scenario.target === "parent") {
    // The restart races the start calls; each call is made again with its key.
    await sleep(r.int(0, 30));
    await restartEverything(log);
  }
  await starting;
  await inject(ctx);
  await Promise.all(cancels);

  const facts = (views: ChaosView[]) => ({
    label: `r${round.index}`,
    tasks: records,
    batches,
    views,
    firstSeen: watcher.firstSeen
  });
  let restingSince: number | null = null;
  await watcher.until((views) => {
    if (isSettled(facts(views))) return true;
    if (!atRest(facts(views))) {
      restingSince = null;
      return false;
    }
    restingSince ??= Date.now();
    return Date.now() - restingSince >= AT_REST_MS;
  }, Date.now() + SETTLE_MS);
  await sleep(QUIET_MS);
  await watcher.stop();
  const views = await watcher.look();
  await readChildren(records, parents, views);

  const submitLog = chatFault ? await parents[0]?.call((s) => s.submitLog()) : [];
  const lastRestart = log.restarts.at(-1);
  const lastSeen = Math.max(0, ...watcher.firstSeen.values());
  return {
    scenario: `${scenario.fault}/${scenario.target}`,
    tasks: records.length,
    parents: parents.length,
    ms: Date.now() - started,
    check: check(facts(views)),
    restarts: log.restarts.length,
    childRestarts: log.childRestarts,
    submitThrows: submitLog?.filter((s) => s.outcome === "throw").length ?? 0,
    submitHangs: submitLog?.filter((s) => s.outcome === "hang").length ?? 0,
    missed: log.missed,
    gapsMs: log.restarts.slice(1).map((at, i) => at - (log.restarts[i] ?? at)),
    settleAfterRestartMs:
      lastRestart !== undefined && lastSeen > lastRestart ? lastSeen - lastRestart : null,
    stallMs: watcher.stallMs
  };
}

/**
 * Start every task of the round, as a caller would: each start is made again
 * with its key when a restart cuts it short. Chained tasks start once their
 * dependency has an id; a batch round starts one batch. Each task's id is
 * filled in on its record, and `onStarted` told, as soon as it has one.
 */
async function startAll(
  round: Round,
  parents: readonly ParentHandle[],
  records: TaskRecord[],
  batches: BatchRecord[],
  log: FaultLog,
  r: ReturnType<typeof rng>,
  onStarted: (record: TaskRecord) => void
): Promise<void> {
  const { fault, target } = round.scenario;
  if (fault === "batch-each" || fault === "batch-all") {
    const parent = parents[0];
    if (!parent) return;
    const key = `batch-${records[0]?.plan.key ?? round.index}`;
    const result = await parent.call(async (s) =>
      s.startBatchOf(
        records.map((x) => x.plan.input),
        {
          maxConcurrency: round.maxConcurrency ?? 2,
          delivery: fault === "batch-all" ? "all" : "each",
          idempotencyKey: key
        }
      )
    );
    if ("error" in result) throw new Error(`the batch was refused: ${result.error.message}`);
    records.forEach((x, i) => {
      x.taskId = result.taskIds[i] ?? null;
      onStarted(x);
    });
    if (fault === "batch-all") {
      batches.push({ parent: 0, batchId: result.batchId, taskIds: result.taskIds });
    }
    return;
  }
  const cut = fault === "before-write" && target === "child";
  const byKey = new Map(records.map((x) => [x.plan.key, x]));
  const pending = new Map<string, Promise<string | null>>();
  const startOf = (key: string): Promise<string | null> => {
    let promise = pending.get(key);
    const record = byKey.get(key);
    if (!promise) {
      promise = record ? startOne(record) : Promise.resolve(null);
      pending.set(key, promise);
    }
    return promise;
  };
  const startOne = async (x: TaskRecord): Promise<string | null> => {
    const after = x.plan.after === undefined ? undefined : await startOf(x.plan.after);
    if (after === null) return null;
    const options = {
      idempotencyKey: x.plan.key,
      ...(x.plan.budgetMs === undefined ? {} : { budgetMs: x.plan.budgetMs }),
      ...(after === undefined ? {} : { after: [after] })
    };
    const parent = parents[x.parent];
    if (!parent) return null;
    const result = await parent
      .call(async (s) => s.startChaosTask(x.plan.child, x.plan.input, options, cut))
      .catch(() => null);
    if (!result || "error" in result) return null;
    if (result.cut) log.childRestarts++;
    x.taskId = result.taskId;
    onStarted(x);
    return result.taskId;
  };
  // Started together (a burst, as a model's spawns or an app's import would
  // be), in a seeded order.
  await Promise.all(r.shuffle(records).map((x) => startOf(x.plan.key)));
}

/** A plan's cancel, at its time after its task started: made again (and counted) when a restart cuts it short. */
async function cancelLater(
  record: TaskRecord,
  parent: ParentHandle | undefined,
  startedAt: number
): Promise<void> {
  const at = record.plan.cancelAtMs;
  const id = record.taskId;
  if (at === undefined || !id || !parent) return;
  await sleep(Math.max(0, startedAt + at - Date.now()));
  let calls = 0;
  const asked = Date.now();
  const reply = await parent
    .call(async (s) => {
      calls++;
      return await s.cancelTask(id);
    })
    .catch(() => null);
  record.cancel = reply
    ? {
        outcome: reply.outcome,
        ...("status" in reply ? { status: reply.status } : {}),
        calls,
        askedAfterMs: asked - startedAt,
        ms: Date.now() - asked
      }
    : null;
}

/** For plans whose child the engine stops: the child's own status of its run, now. */
async function readChildren(
  records: TaskRecord[],
  parents: readonly ParentHandle[],
  views: readonly ChaosView[]
): Promise<void> {
  await Promise.all(
    parents.map(async (parent, i) => {
      const mine = records.filter((x) => x.parent === i && stopsChild(x.plan) && x.taskId);
      const runs = mine.flatMap((x) => {
        const task = views[i]?.tasks.find((t) => t.id === x.taskId);
        return task ? [{ agent: task.agent, runId: task.runId, record: x }] : [];
      });
      if (runs.length === 0) return;
      const statuses = await parent.call((s) =>
        s.childStatuses(runs.map(({ agent, runId }) => ({ agent, runId })))
      );
      runs.forEach((run, j) => {
        run.record.child = statuses[j] ?? null;
      });
    })
  );
}
