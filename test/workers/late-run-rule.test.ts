// "A task given up as lost still waits on its late run" is stated twice: in
// TypeScript (`awaitsRun`, for a row in hand) and in the ledger's SQL (for
// the backbone's list, its count and start-up recovery, which must not read
// every row). The SQL adds what a row alone cannot show: not being pruned,
// and a run not cut short for good. This keeps the two in step, over every
// status, give-up reason, budget, pruning and cut run.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Ledger } from "../../src/engine/ledger";
import { ensureSchema } from "../../src/engine/schema";
import { GIVE_UP_REASONS, TASK_STATUSES } from "../../src/engine/status";
import { awaitsRun } from "../../src/engine/transitions";
import { testEnv, uniqueName } from "./helpers";

type Case = {
  id: string;
  status: (typeof TASK_STATUSES)[number];
  give_up_reason: (typeof GIVE_UP_REASONS)[number] | null;
  started_at: number | null;
  created_at: number;
  budget_ms: number;
  pruning: boolean;
  cut: boolean;
};

function cases(now: number): Case[] {
  const out: Case[] = [];
  let n = 0;
  for (const status of TASK_STATUSES) {
    for (const give_up_reason of [null, ...GIVE_UP_REASONS]) {
      // Budget ends in the past, in the future, and exactly now; counted from
      // the start, or from creation for a task never started.
      for (const [started_at, budget_ms] of [
        [now - 10_000, 5000],
        [now - 10_000, 20_000],
        [now - 10_000, 10_000],
        [null, 20_000]
      ] as const) {
        for (const pruning of [false, true]) {
          for (const cut of [false, true]) {
            out.push({
              id: `case-${n++}`,
              status,
              give_up_reason,
              started_at,
              created_at: now - 15_000,
              budget_ms,
              pruning,
              cut
            });
          }
        }
      }
    }
  }
  return out;
}

/** What the SQL should pick: the TypeScript rule, less what a row alone cannot show. */
function waitsOnLateRun(c: Case, now: number): boolean {
  return c.status === "gave_up" && awaitsRun(c, now) && !c.pruning && !c.cut;
}

describe("the late-run rule, in TypeScript and in SQL", () => {
  it("picks the same tasks in both", async () => {
    const parent = testEnv.TestParent.get(testEnv.TestParent.idFromName(uniqueName("rule")));
    const now = Date.now();
    const all = cases(now);
    const picked = await runInDurableObject(parent, (_agent: unknown, state) => {
      // One synchronous block, rolled back at its end: the parent's own
      // engine never sees these rows.
      ensureSchema(state.storage);
      const ledger = new Ledger(state.storage);
      const seen = { late: [] as string[], followed: [] as string[], count: -1 };
      try {
        state.storage.transactionSync(() => {
          for (const c of all) {
            ledger.sql.write(
              `INSERT INTO bg_tasks (id, run_id, agent, title, input_json, source, delivery,
                 status, give_up_reason, budget_ms, created_at, started_at, pruning_at)
               VALUES (?, ?, 'Worker', 't', '{}', 's', '{"kind":"react"}', ?, ?, ?, ?, ?, ?)`,
              c.id,
              `run-${c.id}`,
              c.status,
              c.give_up_reason,
              c.budget_ms,
              c.created_at,
              c.started_at,
              c.pruning ? now : null
            );
            if (c.cut) {
              ledger.sql.write(
                `INSERT INTO bg_runs (run_id, task_id, attempt, agent, created_at, interrupted_at)
                 VALUES (?, ?, 1, 'Worker', ?, ?)`,
                `run-${c.id}`,
                c.id,
                c.created_at,
                now
              );
            }
          }
          seen.late = ledger.tasks.awaitingLateRun(now).map((r) => r.id);
          seen.followed = ledger.tasks.followedRefs(now).map((r) => r.id);
          seen.count = ledger.tasks.countFollowed(now);
          throw new Error("rolled back");
        });
      } catch (error) {
        if (!(error instanceof Error) || error.message !== "rolled back") throw error;
      }
      const left = ledger.sql.rows<{ n: number }>(
        "SELECT COUNT(*) AS n FROM bg_tasks WHERE id LIKE 'case-%'"
      )[0]?.n;
      return { seen, left };
    });
    expect(picked.left).toBe(0);
    const late = all.filter((c) => waitsOnLateRun(c, now)).map((c) => c.id);
    const followed = all
      .filter((c) => c.status === "running" || waitsOnLateRun(c, now))
      .map((c) => c.id);
    // The grid holds tasks on both sides of every condition.
    expect(late.length).toBeGreaterThan(0);
    expect(late.length).toBeLessThan(all.filter((c) => c.status === "gave_up").length);
    expect([...picked.seen.late].sort()).toEqual([...late].sort());
    expect([...picked.seen.followed].sort()).toEqual([...followed].sort());
    expect(picked.seen.count).toBe(followed.length);
  });
});
