// The fault campaign's figures as markdown, for docs/reliability.md: the
// totals, the coverage matrix (tasks per fault × target × planned outcome),
// attempts per outcome, notice latency, storms and fleets, and every task
// that did not end as planned.
import os from "node:os";
import { percentile, type Report } from "../test/chaos/report.ts";

const OUTCOMES = [
  "completed",
  "error",
  "cancelled",
  "cancel-race",
  "budget",
  "never",
  "late",
  "dep-cancelled"
];
/** Rows of the matrix, in the order the page explains them. */
const FAULTS = [
  "before-write",
  "after-write",
  "mid-run",
  "after-end-before-delivery",
  "during-delivery",
  "during-turn",
  "storm",
  "submit-throw",
  "submit-hang",
  "fleet",
  "batch-each",
  "batch-all",
  "chain"
];

/** A markdown table, its columns padded to one width so it reads as a table in plain text too. */
function table(head: string[], rows: (string | number)[][]): string[] {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(head),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...cells.slice(1).map(line)
  ];
}

const seconds = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`);

function spread(values: readonly number[]): string {
  return `median ${seconds(percentile(values, 0.5))}, p95 ${seconds(percentile(values, 0.95))}, p99 ${seconds(percentile(values, 0.99))}, max ${seconds(percentile(values, 1))}`;
}

function coverageMatrix(report: Report): { lines: string[]; least: number } {
  const rows = new Map<string, Map<string, number>>();
  for (const [cell, n] of Object.entries(report.coverage)) {
    const [fault = "", target = "", outcome = ""] = cell.split("/");
    const row = `${fault}/${target}`;
    const cells = rows.get(row) ?? new Map<string, number>();
    cells.set(outcome, n);
    rows.set(row, cells);
  }
  const order = (row: string) => FAULTS.indexOf(row.split("/")[0] ?? "");
  const sorted = [...rows.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const used = OUTCOMES.filter((o) => sorted.some((row) => rows.get(row)?.has(o)));
  const least = Math.min(...Object.values(report.coverage));
  return {
    lines: table(
      ["fault / target", ...used, "tasks"],
      sorted.map((row) => {
        const cells = rows.get(row) ?? new Map<string, number>();
        const total = [...cells.values()].reduce((a, b) => a + b, 0);
        return [row, ...used.map((o) => cells.get(o) ?? "–"), total];
      })
    ),
    least
  };
}

function lateByCell(late: Report["late"]): string[] {
  const cells = new Map<string, Report["late"]>();
  for (const l of late) cells.set(l.cell, [...(cells.get(l.cell) ?? []), l]);
  return table(
    ["cell", "late notices", "slowest", "its task and notice"],
    [...cells]
      .map(([cell, list]) => ({ cell, list, slowest: Math.max(...list.map((l) => l.latencyMs)) }))
      .sort((a, b) => b.list.length - a.list.length || b.slowest - a.slowest)
      .map(({ cell, list, slowest }) => {
        const worst = list.find((l) => l.latencyMs === slowest);
        return [
          cell,
          list.length,
          seconds(slowest),
          `\`${worst?.taskId ?? ""}\` ${worst?.status ?? ""}`
        ];
      })
  );
}

function attemptsTable(histogram: Report["attempts"]): string[] {
  const columns = [...new Set(Object.values(histogram).flatMap((row) => Object.keys(row)))].sort(
    (a, b) => Number(a) - Number(b)
  );
  return table(
    ["final status", ...columns.map((n) => `${n} attempt${n === "1" ? "" : "s"}`)],
    Object.entries(histogram)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, row]) => [status, ...columns.map((n) => row[n] ?? 0)])
  );
}

export function renderChaos(report: Report, tasksPerSeed: string, started: Date): string {
  const c = report.counts;
  const cpus = os.cpus();
  const { lines: matrix, least } = coverageMatrix(report);
  const lat = report.latenciesMs;
  const storm = report.storm;
  const fleet = report.fleet;
  const late = report.late;
  const out: string[] = [
    `Last campaign: ${started.toISOString().slice(0, 10)}, seeds ${report.seeds.join(", ")} (about ${tasksPerSeed} tasks each), ${c.rounds} rounds, ${report.seconds} s, on ${cpus.length} × ${cpus[0]?.model ?? "CPU"}.`,
    "",
    ...table(
      [
        "tasks",
        "parents",
        "restarts of everything",
        "children restarted",
        "chat faults",
        "notices expected",
        "in the chat",
        "lost",
        "duplicated",
        "unexpected",
        "late",
        "failed",
        "wrong outcome",
        "lost work",
        "backbone not idle"
      ],
      [
        [
          c.tasks,
          c.parents,
          c.restarts,
          c.childRestarts,
          c.submitThrows + c.submitHangs,
          c.noticesExpected,
          c.inChat,
          c.lost,
          c.duplicated,
          c.unexpected,
          report.late.length,
          c.failedDeliveries,
          c.wrongOutcomes,
          c.lostWork,
          c.backboneNotIdle
        ]
      ]
    ),
    "",
    `Tasks drawn per cell (fault / target × planned outcome; – where the fault has no such task); the least-drawn cell has ${least}:`,
    "",
    ...matrix,
    "",
    "Attempts used (child runs, a rerun after each restart that cut one short), by final status:",
    "",
    ...attemptsTable(report.attempts),
    "",
    `Notice latency, from its slot opening to its message being in the chat: ${lat.length} notices, ${spread(lat)}. By stage:`,
    "",
    ...table(
      ["stage", "notices", "median", "p95", "p99", "max"],
      [
        ["slot opened → submission stored (the engine)", report.stagesMs.toSubmission],
        ["submission stored → in the chat (Think's turn queue)", report.stagesMs.toChat],
        ["in the chat → seen by the harness (its polling)", report.stagesMs.toSighting]
      ].map(([name, values]) => {
        const v = values as number[];
        return [
          name as string,
          v.length,
          ...[0.5, 0.95, 0.99, 1].map((p) => seconds(percentile(v, p)))
        ];
      })
    ),
    "",
    `How saturated the runtime was: the harness's own 250 ms timer fired late by up to ${seconds(percentile(report.all.stallMs, 1))} (median round ${seconds(percentile(report.all.stallMs, 0.5))}; in fleets up to ${seconds(percentile(fleet.stallMs, 1))}). Every part of a notice's way slows down with it.`,
    "",
    `Late (over 10 s to the chat): ${late.length}${late.length === 0 ? "." : ", by cell (the slowest of each named):"}`,
    ...(late.length === 0 ? [] : ["", ...lateByCell(late)]),
    "",
    `Restart storms: ${storm.rounds} rounds, ${storm.tasks} tasks, ${storm.restarts} restarts of everything ${seconds(Math.min(...storm.gapsMs))} to ${seconds(Math.max(...storm.gapsMs))} apart; from the last restart to the last notice in the chat: median ${seconds(percentile(storm.settleMs, 0.5))}, max ${seconds(percentile(storm.settleMs, 1))}. Attempts used:`,
    "",
    ...attemptsTable(storm.attempts),
    "",
    fleet.rounds === 0
      ? "Many parents at once: no round."
      : `Many parents at once: ${fleet.rounds} rounds of ${Math.round(fleet.parents / fleet.rounds)} parents × ${Math.round(fleet.tasks / fleet.parents)} tasks, started together, with a restart of everything while they ran; from the restart to the last notice in the chat: median ${seconds(percentile(fleet.settleMs, 0.5))}, max ${seconds(percentile(fleet.settleMs, 1))}. Attempts used:`,
    ...(fleet.rounds === 0 ? [] : ["", ...attemptsTable(fleet.attempts)]),
    ""
  ];
  if (report.missed.length > 0) {
    const counts = new Map<string, number>();
    for (const m of report.missed) counts.set(m, (counts.get(m) ?? 0) + 1);
    out.push(
      "Fault points not reached (the round's restart came anyway, later than meant):",
      "",
      ...[...counts].map(([m, n]) => `- ${m} (${n})`),
      ""
    );
  }
  out.push(
    report.failures.length === 0
      ? "Every task ended as planned, with each notice it was owed in the chat exactly once; no notice was left failed, and every backbone ended idle."
      : `Tasks that did not end as planned (${report.failures.length}):\n\n${report.failures
          .slice(0, 60)
          .map((f) => `- \`${f}\``)
          .join(
            "\n"
          )}${report.failures.length > 60 ? `\n- … and ${report.failures.length - 60} more` : ""}`
  );
  return out.join("\n");
}
