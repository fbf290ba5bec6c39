// `npm run soak`: the storage soak at full size in local workerd (SOAK_TASKS,
// default 10,000, through one parent with retention on, then off). Prints the
// figures and writes them, with a chart, into docs/performance.md (between its
// soak markers) and docs/performance-soak.svg.
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SoakPoint as Point, SoakReport as Soak } from "../test/soak/report.ts";
import { root, runTagged, writeBetweenMarkers } from "./lib.ts";

const tasks = process.env.SOAK_TASKS ?? "10000";
let soak: Soak | null = null;
const started = new Date();
const t0 = performance.now();
const ok = await runTagged("vitest.soak.config.ts", { SOAK_TASKS: tasks }, "SOAK", (record) => {
  soak = record as Soak;
});
const seconds = Math.round((performance.now() - t0) / 1000);
const result = soak as Soak | null;
if (!result) {
  process.stderr.write("The soak produced no figures.\n");
  process.exit(1);
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

function table(points: Point[]): string {
  const head = [
    "tasks",
    "bg_tasks",
    "bg_runs",
    "bg_notices",
    "bg_pruned",
    "SDK runs",
    "sub-agents",
    "children",
    "parent MiB",
    "children MiB"
  ];
  const rows = points.map((p, i) =>
    line([
      i === points.length - 1 ? `${p.tasks} (settled)` : p.tasks,
      p.tables.bg_tasks ?? 0,
      p.tables.bg_runs ?? 0,
      p.tables.bg_notices ?? 0,
      p.tables.bg_pruned ?? 0,
      p.tables.cf_agent_tool_runs ?? 0,
      p.tables.cf_agents_sub_agents ?? 0,
      p.children,
      mib(p.parentBytes),
      mib(p.childBytes)
    ])
  );
  return [line(head), line(head.map(() => "---")), ...rows].join("\n");
}

/** Total storage (parent + children) against tasks run, one line per mode. */
function chart(s: Soak): string {
  const W = 640;
  const H = 320;
  const pad = { left: 64, right: 16, top: 32, bottom: 40 };
  const total = (p: Point) => (p.parentBytes + p.childBytes) / 1024 / 1024;
  const points = [...s.on, ...s.off];
  const maxY = Math.max(1, ...points.map(total));
  const x = (tasksRun: number) => pad.left + (tasksRun / s.total) * (W - pad.left - pad.right);
  const y = (v: number) => H - pad.bottom - (v / maxY) * (H - pad.top - pad.bottom);
  const path = (ps: Point[]) =>
    ps
      .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.tasks).toFixed(1)},${y(total(p)).toFixed(1)}`)
      .join(" ");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<title>Storage as tasks run through one parent: retention on and off</title>
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">Storage (parent + children) as ${s.total} tasks run through one parent</text>
<line x1="${pad.left}" y1="${H - pad.bottom}" x2="${W - pad.right}" y2="${H - pad.bottom}" stroke="#333"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${H - pad.bottom}" stroke="#333"/>
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">tasks run</text>
<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">MiB</text>
<text x="${pad.left - 6}" y="${y(maxY) + 4}" text-anchor="end">${maxY.toFixed(0)}</text>
<text x="${pad.left - 6}" y="${H - pad.bottom + 4}" text-anchor="end">0</text>
<text x="${W - pad.right}" y="${H - pad.bottom + 16}" text-anchor="end">${s.total}</text>
<path d="${path(s.off)}" fill="none" stroke="#cf222e" stroke-width="2"/>
<path d="${path(s.on)}" fill="none" stroke="#1a7f37" stroke-width="2"/>
<text x="${W - pad.right - 4}" y="${y(total(s.off[s.off.length - 1] as Point)) - 6}" text-anchor="end" fill="#cf222e">retention off</text>
<text x="${W - pad.right - 4}" y="${y(total(s.on[s.on.length - 1] as Point)) - 6}" text-anchor="end" fill="#1a7f37">retention on</text>
</svg>
`;
}

const cpu = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}`;
const text = [
  `Last soak: ${started.toISOString().slice(0, 10)}, ${result.total} tasks per mode through one parent, ${seconds} s in all, on ${cpu}. Children answer at once; tasks are \`silent\` (no chat message), so what grows is the engine's own storage, the SDK's, and the children. A child's SQLite size is the mean of the ten newest children, times their number.`,
  "",
  "**Retention on** (`retainEndedMs: 1000`, `maxEndedTasks: 500`, `maxPrunedSummaries: 1000`):",
  "",
  table(result.on),
  "",
  '**Retention off** (`retainEndedMs: "forever"`, `maxEndedTasks: "unlimited"`):',
  "",
  table(result.off),
  "",
  "![Storage as tasks run through one parent, retention on and off](performance-soak.svg)"
].join("\n");

writeFileSync(path.join(root, "docs/performance-soak.svg"), chart(result));
writeBetweenMarkers(path.join(root, "docs/performance.md"), "soak", text);
process.stdout.write(`${text}\n\nWrote the figures into docs/performance.md.\n`);
if (!ok) process.exitCode = 1;
