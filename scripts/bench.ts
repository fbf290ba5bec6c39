// `npm run bench`: runs the benchmark scenarios in local workerd (full sizes),
// prints one table per scenario, and writes into docs/performance.md (between
// its bench markers, so the soak's section stays) the figures, the machine,
// the versions and the repetitions, and a chart made from the overlap data
// (docs/performance-overlap.svg).
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Burst as BurstRun, ParentsRow, Warm } from "../test/bench/report.ts";
import { root, runTagged, writeBetweenMarkers } from "./lib.ts";

type Stat = { p50: number; p95: number; n: number };
type Overlap = {
  p: number;
  c: number;
  awaited: number;
  ours: number;
  native: number;
  reps: number;
};
type Restart = Record<string, { latencies: (number | null)[]; wakeups: number[] }>;
type Scale = {
  n: number;
  mode: string;
  dispatchMs: number;
  allInMs: number;
  delivered: number;
  duplicated: number;
  lost: number;
};
type Burst = BurstRun[];
type Parents = ParentsRow;
type Idle = Record<string, { windowMs: number; wakeups: number; perHour: number; jobs: number }>;
type Results = {
  overlap?: Overlap[];
  dispatch?: Record<string, Stat>;
  warm?: Record<string, Warm>;
  restart?: Restart;
  scale?: Scale[];
  burst?: Burst;
  parents?: Parents[];
  idle?: Idle;
};

/** Runs the scenarios; resolves with what was measured, and whether every scenario passed. */
async function run(): Promise<{ results: Results; ok: boolean }> {
  const results: Record<string, unknown> = {};
  const ok = await runTagged(
    "vitest.bench.config.ts",
    { BENCH_MODE: "full" },
    "BENCH",
    (record) => {
      const { scenario, data } = record as { scenario: string; data: unknown };
      results[scenario] = data;
      process.stdout.write(`measured: ${scenario}\n`);
    }
  );
  return { results: results as Results, ok };
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const ms = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? "—" : `${Math.round(v)} ms`;
const inSeconds = (v: number) => `${Math.round(v / 100) / 10} s`;
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? (a / b).toFixed(2) : "—");
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN) : Number.NaN;
};

function versions(): Record<string, string> {
  const v = (pkg: string) =>
    (
      JSON.parse(readFileSync(path.join(root, "node_modules", pkg, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  return {
    agents: v("agents"),
    "@cloudflare/think": v("@cloudflare/think"),
    ai: v("ai"),
    wrangler: v("wrangler"),
    workerd: v("workerd"),
    "@cloudflare/vitest-plugin": v("@cloudflare/vitest-plugin"),
    node: process.version
  };
}

/** A grouped bar chart of the overlap scenario, as SVG, from the data. */
function overlapChart(rows: Overlap[]): string {
  const width = 760;
  const height = 320;
  const left = 60;
  const bottom = 40;
  const top = 40;
  const groupWidth = (width - left - 20) / rows.length;
  const max = Math.max(...rows.flatMap((r) => [r.awaited, r.ours, r.native, r.p + r.c]));
  const y = (v: number) => top + (height - top - bottom) * (1 - v / max);
  const series: [keyof Overlap, string, string][] = [
    ["awaited", "#8c959f", "awaited runAgentTool"],
    ["native", "#bf8700", "SDK detached"],
    ["ours", "#0969da", "agents-background"]
  ];
  const bars = rows
    .map((r, gi) => {
      const x0 = left + gi * groupWidth + 14;
      const bw = (groupWidth - 28) / series.length;
      const rects = series
        .map(([key, color], si) => {
          const v = r[key] as number;
          return `<rect x="${x0 + si * bw}" y="${y(v)}" width="${bw - 4}" height="${height - bottom - y(v)}" fill="${color}"><title>${key}: ${Math.round(v)} ms</title></rect>`;
        })
        .join("");
      const ideal = Math.max(r.p, r.c);
      const idealLine = `<line x1="${x0 - 4}" x2="${x0 + groupWidth - 24}" y1="${y(ideal)}" y2="${y(ideal)}" stroke="#1a7f37" stroke-dasharray="4 3"/>`;
      const label = `<text x="${x0 + (groupWidth - 28) / 2}" y="${height - bottom + 18}" text-anchor="middle">P ${r.p / 1000} s · C ${r.c / 1000} s</text>`;
      return rects + idealLine + label;
    })
    .join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = max * f;
      return `<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#d0d7de"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${(v / 1000).toFixed(1)} s</text>`;
    })
    .join("");
  const legend = [
    ...series.map(
      ([, color, name], i) =>
        `<rect x="${left + i * 190}" y="10" width="12" height="12" fill="${color}"/><text x="${left + i * 190 + 18}" y="20">${name}</text>`
    ),
    `<line x1="${left + 570}" x2="${left + 590}" y1="16" y2="16" stroke="#1a7f37" stroke-dasharray="4 3"/><text x="${left + 596}" y="20">ideal max(P, C)</text>`
  ].join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12" fill="#24292f"><title>Overlap: request fully done, per mode, against the ideal max(P, C)</title><rect width="100%" height="100%" fill="white"/>${ticks}${bars}${legend}</svg>\n`;
}

function render(r: Results, startedAt: Date, seconds: number): string {
  const v = versions();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const out: string[] = [];
  out.push(
    `Measured by \`npm run bench\` on ${startedAt.toISOString().slice(0, 10)}, in local workerd through the vitest plugin, with every mode measured in the same run on the same machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}. The whole run took ${Math.round(seconds)} s.`
  );
  out.push("");
  out.push(
    `Versions: ${Object.entries(v)
      .map(([k, x]) => `${k} ${x}`)
      .join(", ")}.`
  );
  out.push("");
  out.push(
    "Modes: **awaited** is `await runAgentTool(Child, { input })`; **native** is the SDK's own `runAgentTool(Child, { input, detached: { notify } })`; **ours** is `this.background.start(Child, { input })`. Children are Think agents on a scripted model whose answer takes a set time; the engine runs with its default cadence (2 s rising to 20 s). Machines here are shared, so figures are compared as ratios within a run, not across runs."
  );
  if (r.overlap) {
    out.push("", "## 1. Overlap: request fully done", "");
    out.push(
      `The parent does P of its own work while a child does C. Done = the parent's work is done and the child's result is in the parent's chat (for awaited: the call returned and the work is done). Medians of ${r.overlap[0]?.reps ?? 1} repetitions.`,
      ""
    );
    out.push(
      table(
        [
          "P",
          "C",
          "awaited",
          "native",
          "ours",
          "native / awaited",
          "ours / awaited",
          "ideal max(P,C)/(P+C)"
        ],
        r.overlap.map((o) => [
          ms(o.p),
          ms(o.c),
          ms(o.awaited),
          ms(o.native),
          ms(o.ours),
          ratio(o.native, o.awaited),
          ratio(o.ours, o.awaited),
          ratio(Math.max(o.p, o.c), o.p + o.c)
        ])
      ),
      "",
      "![Overlap: request fully done per mode](performance-overlap.svg)"
    );
  }
  if (r.dispatch) {
    out.push(
      "",
      "## 2. Dispatch",
      "",
      "Time for the call to return, measured inside the parent.",
      ""
    );
    out.push(
      table(
        ["mode", "n", "p50", "p95"],
        Object.entries(r.dispatch).map(([m, s]) => [m, s.n, ms(s.p50), ms(s.p95)])
      )
    );
  }
  if (r.warm) {
    out.push(
      "",
      "## 3. Completion, warm",
      "",
      "From the child's terminal state (its `completedAt`) to the notice accepted (the submission's `createdAt`), and each step of it as stamped in the parent: the child's end until the SDK's finish hook runs there (the parent reads the child's end; the SDK's detached mode has also claimed its delivery in its own ledger and queued it behind the chat's turns by then), from the hook to the call of `submitMessages` (ours: the task settled and its notice claimed; the SDK's: nothing more), and from that call to the submission accepted (Think). The two modes do their durable work at different steps, so only the totals compare like with like.",
      ""
    );
    const spread = (s: { p50: number; p95: number }) => `${ms(s.p50)} / ${ms(s.p95)}`;
    out.push(
      table(
        ["mode", "n", "end → accepted", "end → hook", "hook → submit", "submit → accepted"],
        Object.entries(r.warm).map(([m, w]) => [
          m,
          w.n,
          spread(w),
          spread(w.steps.heard),
          spread(w.steps.own),
          spread(w.steps.accepted)
        ])
      ),
      "",
      "Each cell is p50 / p95."
    );
  }
  if (r.restart) {
    out.push(
      "",
      "## 4. After a parent restart mid-run",
      "",
      "The parent and its children are restarted (`abortAllDurableObjects`) 300 ms into a 1.5 s child, then left untouched: only the parent's own alarm may wake it. From the child's terminal state to the notice, and backbone wake-ups for the task. A dash: no notice within the wait.",
      ""
    );
    out.push(
      table(
        ["mode", "child's end → notice (each run)", "median", "backbone wake-ups (each run)"],
        Object.entries(r.restart).map(([m, d]) => [
          m,
          d.latencies.map(ms).join(", "),
          ms(median(d.latencies.filter((x): x is number => x !== null))),
          d.wakeups.join(", ")
        ])
      )
    );
  }
  if (r.scale) {
    out.push(
      "",
      "## 5. Scale: N tasks at once on one parent",
      "",
      "Children answer in 200 ms. Dispatch = all N calls returned; all in = the last notice accepted, from the first dispatch. Notices are counted per task.",
      ""
    );
    out.push(
      table(
        [
          "N",
          "mode",
          "dispatch all",
          "per dispatch",
          "all notices in",
          "delivered",
          "duplicated",
          "lost"
        ],
        r.scale.map((s) => [
          s.n,
          s.mode,
          ms(s.dispatchMs),
          ms(s.dispatchMs / s.n),
          ms(s.allInMs),
          s.delivered,
          s.duplicated,
          s.lost
        ])
      )
    );
  }
  if (r.burst) {
    const b = r.burst;
    out.push(
      "",
      "## 6. Burst: N dispatched in one call, then every child ending at once",
      "",
      `One call from the test starts N tasks (ours: one \`startMany\`; the SDK: its detached \`runAgentTool\` once per task, inside the parent). Every child then waits at a gate until all N wait (all at the gate = from the dispatch call until then); the gate opens ${inSeconds(b[0]?.holdMs ?? 0)} later, and all N children end together. The pause lets the ending start from a settled runtime in both modes: ours' children all start at once, and when the last reaches the gate the others' start-up work is still running; the SDK's dispatch spreads its children's start over its own time. From the gate opening: last child ended = to the last child's end, as the SDK recorded it; parent heard = to the SDK's last finish hook in the parent (it has read the child's end); accepted = to the last notice's submission accepted (queued for a turn); in the chat = to the last notice's message entering the chat's history (its turn began); answered = to the end of the model's turn over it. Turns = submissions into the parent's chat (each one model turn). A small burst of each mode runs first, not measured (the first burst in an isolate pays for code not yet warm, seconds on the children's end). Then rounds of one run of each mode, ours first in odd rounds and the SDK first in even ones. Each run begins once the runtime is quiet (three round trips in a row to an idle object, each under 10 ms), so no run is measured while the last one's leftover work still runs. The ratios are of each mode's mean over all its runs; the ratio of each round shows the spread from run to run.`,
      ""
    );
    out.push(
      table(
        [
          "round",
          "mode",
          "run",
          "N",
          "dispatch (from the caller)",
          "inside the parent",
          "all at the gate",
          "last child ended",
          "parent heard",
          "accepted",
          "in the chat",
          "answered",
          "delivered",
          "duplicated",
          "turns"
        ],
        b.map((d) => [
          d.round,
          d.mode,
          d.position === 1 ? "first" : "second",
          d.n,
          ms(d.dispatchMs),
          ms(d.dispatchInsideMs),
          ms(d.atGateMs),
          ms(d.childrenEndedMs),
          ms(d.heardMs),
          ms(d.allInMs),
          ms(d.inChatMs),
          ms(d.answeredMs),
          d.delivered,
          d.duplicated,
          d.turns
        ])
      )
    );
    const mean = (mode: string, field: "dispatchMs" | "allInMs" | "inChatMs" | "answeredMs") => {
      const runs = b.filter((d) => d.mode === mode);
      return runs.length === 0
        ? Number.NaN
        : runs.reduce((sum, d) => sum + d[field], 0) / runs.length;
    };
    if (b.some((d) => d.mode === "ours") && b.some((d) => d.mode === "native")) {
      const of = (field: "dispatchMs" | "allInMs" | "inChatMs" | "answeredMs") =>
        ratio(mean("ours", field), mean("native", field));
      const rounds = [...new Set(b.map((d) => d.round))].map((round) => {
        const inChat = (mode: string) =>
          b.find((d) => d.round === round && d.mode === mode)?.inChatMs ?? Number.NaN;
        return ratio(inChat("ours"), inChat("native"));
      });
      out.push(
        "",
        `Ours / the SDK, each mode's mean over its ${b.filter((d) => d.mode === "ours").length} runs: dispatch ${of("dispatchMs")}; every notice accepted ${of("allInMs")}, in the chat ${of("inChatMs")}, answered ${of("answeredMs")}. In the chat, round by round: ${rounds.join(", ")}.`
      );
    }
  }
  if (r.parents) {
    out.push(
      "",
      "## 7. Many parents",
      "",
      "P parents each start M tasks in one call, all parents at once, once the runtime is quiet (as in section 6); children answer in 1 s. With a restart, each child waits at a gate in the middle of its turn; once every child waits there, every object is restarted (`abortAllDurableObjects`) and the gate opens as they come back, so a restart always cuts short the same work: every child's turn. Restarted at = from the dispatch to that restart. Children ended = from the dispatch to the last child's end, as the SDK recorded it; all in = from the dispatch to the last notice accepted; restart took = how long the test's `abortAllDurableObjects()` call took to return (the harness's own work, which grows with the objects it aborts); per task = (all in − restart took) / (P × M). Growth = per task at the largest P over per task at the smallest, in the same mode and restart (at or below 1: cost per task does not grow with the number of parents).",
      ""
    );
    const base = (row: Parents) =>
      r.parents?.find(
        (x) =>
          x.mode === row.mode &&
          x.restart === row.restart &&
          x.parents === Math.min(...(r.parents ?? []).map((y) => y.parents))
      );
    out.push(
      table(
        [
          "P × M",
          "mode",
          "restart",
          "dispatch all",
          "restarted at",
          "restart took",
          "children ended",
          "all notices in",
          "per task",
          "growth",
          "delivered",
          "duplicated"
        ],
        r.parents.map((row) => [
          `${row.parents} × ${row.perParent}`,
          row.mode,
          row.restart ? "yes" : "no",
          ms(row.dispatchMs),
          row.restartedAtMs === null ? "—" : ms(row.restartedAtMs),
          row.restart ? ms(row.restartMs) : "—",
          ms(row.childrenEndedMs),
          ms(row.allInMs),
          `${row.perTaskMs.toFixed(1)} ms`,
          ratio(row.perTaskMs, base(row)?.perTaskMs ?? Number.NaN),
          row.delivered,
          row.duplicated
        ])
      )
    );
  }
  if (r.idle) {
    out.push("", "## 8. Idle", "", "After the last notice, with nothing outstanding.", "");
    out.push(
      table(
        ["mode", "window", "wake-ups", "per hour", "jobs left armed"],
        Object.entries(r.idle).map(([m, d]) => [
          m,
          ms(d.windowMs),
          d.wakeups,
          Math.round(d.perHour),
          d.jobs
        ])
      )
    );
  }
  out.push("", "## Reading the figures", "", NOTES.trim(), "");
  return out.join("\n");
}

/** What the figures mean; kept with the generator so a re-run keeps it. */
const NOTES = `
- Overlap: awaited serializes the parent's work behind the child (P + C). Both detached modes overlap them, within about 0.15 s of the ideal max(P, C); what is left is the notice path (the child's result stored, a submission accepted).
- Dispatch: the SDK's detached mode waits for the child to accept the run before returning, and arms its backbone; ours writes the ledger row, hands the run to the child without awaiting it, and returns.
- Warm completion: the two modes take turns, run by run. The steps show where the time goes. Most of it is the same in both modes: the child's stream ends, then the parent reads the run from the child. Each mode then does its durable work, at a different step. The SDK's detached mode claims its delivery in its own ledger and queues it behind the chat's turns before its finish hook runs, so that work falls in "end → hook"; from the hook its notify calls \`submitMessages\` at once. Ours hears of the end through the run it awaits, where the SDK claims nothing, and after the hook settles the task and claims its notice in SQLite, the durable record that makes the notice exactly-once across restarts (nine SQLite statements and the notice's text; no call into the child; the notice's message id was signed when the task started): 1 ms at the median here (1 ms at p95). The runtime's clock reads whole milliseconds, so a step under one shows as 0 or 1. In this run ours' totals were 1 ms above the SDK's at the median and at p95 (7/10 against 6/9 ms); in the run before, 13/18 against 12/17, and in the one before that 10/13 against 9/18. The shared part moves by more than our step from run to run.
- After a restart: the engine re-attaches every running child when the parent starts again, so the fast path takes the child's end as it comes, without waiting for a backbone tick. The SDK's detached rows are not re-attached on start-up; its backbone delivers what it finds at its later ticks (5 s, then 15 s).
- Scale: "dispatch all" is measured from the test, one RPC per dispatch (\`startMany\` takes many in one call), while earlier children already run and their notices take model turns on the same two cores; inside the parent one dispatch stays at a few milliseconds (section 2). Every notice arrived exactly once in both modes.
- Burst: ours is dispatched in one call and one transaction (84 to 164 ms from the caller for 500 here), where the SDK's detached mode starts runs one after another. Ours' 500 children then take 21 to 25 s to reach the gate (their own start-up, on the two cores; longer in each round, as the test's one isolate gathers children: a run with a fresh parent for every burst grew the same way); the SDK's are there just after its dispatch returns, 26 to 32 s after it began. The gate opens 3 s after the last arrives, so the ending starts from a settled runtime in both modes: in a pair of burst-only runs of the same code, without that pause ours' last child ended 6.4 to 9.6 s after the gate (the SDK's 6.4 to 7.1 s) and the ratio was 0.52; with it, 5.6 to 7.1 s (the SDK's 6 to 7.3 s) and 0.40. Once the gate opens, both modes wait on the children themselves (facets of the parent, sharing its runtime: 500 model steps at once, the last ending 4.5 to 6.9 s after the gate here), then on the parent to hear of each end (1.3 to 2.0 s more): that part is the SDK's in both modes. A notice accepted is only queued: Think runs submissions from its alarm loop, one turn after another, and while hundreds of children are still ending no alarm gets in. After every alarm the Agents SDK sweeps the children with a turn in progress, calling each in turn: a host runs that sweep beside the alarm, so Think's queue never waits on it, and makes no call into a child whose task it handed over and still follows live (one sweep over 500 busy children used to take 4 to 39 s of calls). Ours then has every notice in the chat 0.54 to 0.93 s after the parent heard of the last end, in 26 turns (\`maxNoticesPerTurn\`, 20 by default); the SDK's 500 turns take 9 to 12 s more here. Ours' time in the chat is almost all the shared part, so the ratio moves with how long the children take to end and with the length of the SDK's own turns: in this run ours' children ended sooner than the SDK's in the first round (4.5 s against 6.5 s) and about as fast in the second and third (6.2 and 6.8 s, against 6.1 and 6.9 s), and the ratio was 0.33, 0.52 and 0.50 round by round, 0.44 over the three. The two runs before gave 0.51 and 0.55.
- Many parents: cost per task is all in over all tasks, with every child on the same two cores. Ours starts every parent's tasks at once, so all its children run together and all in is bound by the machine's total work: the children's own start and end are most of it. The SDK's sequential dispatch spreads its children over its own dispatch time. From 250 to 1000 tasks, cost per task grew in this run by 33% for ours and 23% for the SDK's without a restart, and by 12% and 14% with one; in the run before, it did not grow in either mode (1.00 and 0.77 without a restart, 1.01 and 0.86 with one). Both modes grew together here, on the same shared machine: the growth moves from run to run by more than either mode's own cost. After a restart each child recovers its own interrupted turn (Think's chat recovery, one turn each, the same in both modes), and ours re-attaches every run on start-up, without waiting for a backbone tick; the children's recovery is most of the work, so ours' cost per task is of the SDK's order (92 against 131 ms at 5 parents, 103 against 149 ms at 20 here). The restart call itself (the test's \`abortAllDurableObjects()\`) is timed apart and left out of per task: it is the harness's work. Earlier runs restarted 300 ms after the dispatch returned; how far the children had got by then varied with the machine's load (in one 5-parent run every child had begun its model call and ran it again, in the next none had), and per task moved by a factor of two from run to run. The gate makes every run cut short the same work.
- Idle: neither leaves a job armed once nothing is outstanding; the SDK's backbone fired once more in the window before stopping, ours not at all.
`;

const started = new Date();
const t0 = performance.now();
const { results, ok } = await run();
const seconds = (performance.now() - t0) / 1000;
const doc = render(results, started, seconds);
if (results.overlap)
  writeFileSync(path.join(root, "docs/performance-overlap.svg"), overlapChart(results.overlap));
writeBetweenMarkers(path.join(root, "docs/performance.md"), "bench", doc);
process.stdout.write(`\n${doc}\n\nWrote docs/performance.md and docs/performance-overlap.svg.\n`);
if (!ok) {
  process.stderr.write(
    "Some scenarios failed or were not measured; the document has the ones that were.\n"
  );
  process.exitCode = 1;
}
