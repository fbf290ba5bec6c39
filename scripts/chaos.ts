// `npm run chaos`: the fault campaign at full size in local workerd. Prints
// the counts and writes them into docs/reliability.md (between its chaos
// markers). CHAOS_TASKS (default 500) and CHAOS_SEED (default 1) choose it.
import os from "node:os";
import path from "node:path";
import type { Report } from "../test/chaos/report.ts";
import { root, runTagged, writeBetweenMarkers } from "./lib.ts";

const tasks = process.env.CHAOS_TASKS ?? "500";
const seed = process.env.CHAOS_SEED ?? "1";

async function run(): Promise<{ report: Report | null; ok: boolean }> {
  let report: Report | null = null;
  const ok = await runTagged(
    "vitest.chaos.config.ts",
    { CHAOS_TASKS: tasks, CHAOS_SEED: seed },
    "CHAOS",
    (record) => {
      report = record as Report;
    }
  );
  return { report, ok };
}

const started = new Date();
const t0 = performance.now();
const { report, ok } = await run();
const seconds = Math.round((performance.now() - t0) / 1000);
if (!report) {
  process.stderr.write("The campaign produced no report.\n");
  process.exit(1);
}
const lines = [
  `Last campaign: ${started.toISOString().slice(0, 10)}, seed ${report.seed}, ${report.rounds} rounds, ${seconds} s, on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}.`,
  "",
  "| tasks | faults injected | notices expected | delivered | duplicated | lost | wrong status |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  `| ${report.tasks} | ${report.faults} | ${report.expected} | ${report.delivered} | ${report.duplicated} | ${report.lost} | ${report.wrongStatus} |`,
  "",
  "Rounds by fault point and target:",
  "",
  "| fault point / target | rounds |",
  "| --- | --- |",
  ...Object.entries(report.byPoint)
    .sort()
    .map(([k, n]) => `| ${k} | ${n} |`),
  "",
  report.failures.length === 0
    ? "Every task ended with exactly the notices expected, and every backbone ended idle."
    : `Tasks that did not end as expected:\n\n${report.failures.map((f) => `- \`${f}\``).join("\n")}`
];
writeBetweenMarkers(path.join(root, "docs/reliability.md"), "chaos", lines.join("\n"));
process.stdout.write(`${lines.join("\n")}\n\nWrote the figures into docs/reliability.md.\n`);
if (!ok) process.exitCode = 1;
