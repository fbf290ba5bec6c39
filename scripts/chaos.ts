// `npm run chaos`: the fault campaign at full size in local workerd, once per
// seed (a fresh runtime each), merged into one report that is printed and
// written into docs/reliability.md (between its chaos markers).
//
// CHAOS_SEEDS (default "1,2,3") or CHAOS_SEED (one seed) choose the seeds;
// CHAOS_TASKS the tasks per seed (default 1100: every cell of the coverage
// matrix gets five, and a fleet of 20 parents × 20 tasks); CHAOS_LANES how
// many rounds run at once (default 1: each round's faults are its own);
// CHAOS_ROUNDS replays only the rounds named (then nothing is written).
import path from "node:path";
import { emptyReport, mergeReports, type Report } from "../test/chaos/report.ts";
import { renderChaos } from "./chaos-doc.ts";
import { root, runTagged, writeBetweenMarkers } from "./lib.ts";

const tasks = process.env.CHAOS_TASKS ?? "1100";
const lanes = process.env.CHAOS_LANES ?? "1";
const seeds = (process.env.CHAOS_SEED ?? process.env.CHAOS_SEEDS ?? "1,2,3")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "");

async function runSeed(seed: string): Promise<{ report: Report; ok: boolean }> {
  let report: Report | null = null;
  const ok = await runTagged(
    "vitest.chaos.config.ts",
    { CHAOS_TASKS: tasks, CHAOS_SEED: seed, CHAOS_LANES: lanes },
    "CHAOS",
    (record) => {
      report = record as Report;
    },
    (line) => line.includes("chaos: ")
  );
  if (!report) {
    // A campaign that crashed reports nothing: say so rather than show a clean page.
    const empty = emptyReport([Number(seed)]);
    empty.failures.push(`seed ${seed}: the campaign produced no report`);
    return { report: empty, ok: false };
  }
  return { report, ok };
}

const started = new Date();
const reports: Report[] = [];
let allOk = true;
for (const seed of seeds) {
  process.stdout.write(`\n== seed ${seed}: about ${tasks} tasks ==\n`);
  const { report, ok } = await runSeed(seed);
  reports.push(report);
  allOk &&= ok;
}
const merged = mergeReports(reports);
const text = renderChaos(merged, tasks, started);
if (process.env.CHAOS_ROUNDS) {
  // A replay of a few rounds is not a campaign: its figures stay out of the docs.
  process.stdout.write(`\n${text}\n`);
} else {
  writeBetweenMarkers(path.join(root, "docs/reliability.md"), "chaos", text);
  process.stdout.write(`\n${text}\n\nWrote the figures into docs/reliability.md.\n`);
}
// The page shows the first failures; all of them are here.
for (const failure of merged.failures) process.stdout.write(`FAILED ${failure}\n`);
if (!allOk) process.exitCode = 1;
