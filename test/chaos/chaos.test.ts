// The fault campaign: a stratified, seeded schedule of rounds (see
// schedule.ts), each on fresh parents with one kind of fault, every task held
// to its plan and every notice to the chat (see checker.ts). `npm run chaos`
// runs it at full size over several seeds; `npm test` runs a small campaign
// that still has a round of every fault kind, in a few lanes at once.

import { describe, expect, it } from "vitest";
import { testEnv } from "./parents";
import { addRound, emptyReport, type Report } from "./report";
import { runRound } from "./round";
import { coverage, SCENARIOS, scenarioName, schedule } from "./schedule";

const TOTAL = Number(testEnv.CHAOS_TASKS ?? 40);
const SEED = Number(testEnv.CHAOS_SEED ?? 7);
/** Rounds run at once. One keeps each round's faults its own; more make a small campaign quick. */
const LANES = Math.max(1, Number(testEnv.CHAOS_LANES ?? 1));
/** Only these rounds of the seed's schedule (`CHAOS_ROUNDS=50,51`): a round's faults replay from its seed. */
const ONLY = (testEnv.CHAOS_ROUNDS ?? "")
  .split(",")
  .filter((n) => n.trim() !== "")
  .map(Number);

describe("chaos", () => {
  it(`about ${TOTAL} tasks, seed ${SEED}: every task ends as planned, each notice in the chat once`, async () => {
    const all = schedule(TOTAL, SEED);
    const rounds = ONLY.length === 0 ? all : all.filter((round) => ONLY.includes(round.index));
    const missing = ONLY.filter((n) => !rounds.some((round) => round.index === n));
    if (missing.length > 0) {
      throw new Error(
        `CHAOS_ROUNDS names rounds seed ${SEED} does not have: ${missing.join(", ")} (it has ${all.length}, numbered from ${all[0]?.index ?? 0})`
      );
    }
    const report: Report = emptyReport([SEED]);
    report.coverage = coverage(rounds);
    const t0 = Date.now();
    const queue = [...rounds];
    let done = 0;
    const lane = async () => {
      for (let round = queue.shift(); round; round = queue.shift()) {
        const result = await runRound(round, SEED);
        addRound(report, result);
        done++;
        const bad = result.check.failures.length;
        console.log(
          `chaos: round ${done}/${rounds.length} ${result.scenario}: ${result.tasks} tasks in ${(result.ms / 1000).toFixed(1)} s, ${bad === 0 ? "as planned" : `${bad} failures`}`
        );
        for (const failure of result.check.failures) console.log(`chaos: FAILED ${failure}`);
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    report.seconds = Math.round((Date.now() - t0) / 1000);

    console.log(`CHAOS ${JSON.stringify(report)}`);
    const c = report.counts;
    console.log(
      `chaos: ${c.tasks} tasks in ${c.rounds} rounds on ${c.parents} parents, ${c.restarts} restarts of everything, ${c.childRestarts} child restarts, ${c.submitThrows + c.submitHangs} chat faults; ${c.noticesExpected} notices expected, ${c.inChat} in the chat, ${c.lost} lost, ${c.duplicated} duplicated, ${c.unexpected} unexpected, ${report.late.length} late, ${c.failedDeliveries} failed; ${c.wrongOutcomes} wrong outcomes (${c.lostWork} lost work); ${c.backboneNotIdle} backbones not idle`
    );

    // Every fault kind had its round.
    const drawn = new Set(Object.keys(report.coverage).map((cell) => cell.split("/", 2).join("/")));
    if (ONLY.length === 0) {
      expect(SCENARIOS.map(scenarioName).filter((s) => !drawn.has(s))).toEqual([]);
    }
    expect(report.failures).toEqual([]);
    expect(c).toMatchObject({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      failedDeliveries: 0,
      wrongOutcomes: 0,
      lostWork: 0,
      backboneNotIdle: 0
    });
    expect(c.inChat).toBe(c.noticesExpected);
  });
});
