// `npm run chaos`: the fault campaign at full size in local workerd. Prints
// the counts and writes them into docs/reliability.md (between its chaos
// markers). CHAOS_TASKS (default 500) and CHAOS_SEED (default 1) choose it.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const tasks = process.env.CHAOS_TASKS ?? "500";
const seed = process.env.CHAOS_SEED ?? "1";

type Report = {
  seed: number;
  tasks: number;
  faults: number;
  expected: number;
  delivered: number;
  duplicated: number;
  lost: number;
  wrongStatus: number;
  rounds: number;
  byPoint: Record<string, number>;
  failures: string[];
};

function run(): Promise<{ report: Report | null; ok: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, "node_modules/vitest/vitest.mjs"),
        "run",
        "--config",
        "vitest.chaos.config.ts"
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          CHAOS_TASKS: tasks,
          CHAOS_SEED: seed,
          XDG_CONFIG_HOME: path.join(root, ".xdg"),
          WRANGLER_SEND_METRICS: "false"
        },
        stdio: ["ignore", "pipe", "inherit"]
      }
    );
    let report: Report | null = null;
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let i = buffer.indexOf("\n");
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const at = line.indexOf("CHAOS {");
        if (at >= 0) report = JSON.parse(line.slice(at + 6)) as Report;
        i = buffer.indexOf("\n");
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ report, ok: code === 0 }));
  });
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
const docPath = path.join(root, "docs/reliability.md");
const doc = readFileSync(docPath, "utf8");
const start = doc.indexOf("<!-- chaos:start -->");
const end = doc.indexOf("<!-- chaos:end -->");
if (start < 0 || end < 0) throw new Error("docs/reliability.md has no chaos markers");
writeFileSync(
  docPath,
  `${doc.slice(0, start)}<!-- chaos:start -->\n${lines.join("\n")}\n${doc.slice(end)}`
);
process.stdout.write(`${lines.join("\n")}\n\nWrote the figures into docs/reliability.md.\n`);
if (!ok) process.exitCode = 1;
