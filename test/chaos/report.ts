// What the fault campaign reports: one `CHAOS {…}` line per seed, which
// `npm run chaos` merges over its seeds and writes into docs/reliability.md.
// Plain data and pure functions, shared by the test and the script.

/** Final status → attempts used → tasks. */
export type Histogram = Record<string, Record<string, number>>;

/**
 * A notice's way to the chat, stage by stage: its slot opening to Think
 * storing its submission (the engine), to Think putting it in the chat (the
 * turn queue), and to the harness seeing it there (its polling).
 */
export type Stages = { toSubmission: number[]; toChat: number[]; toSighting: number[] };

/** A notice that reached the chat, but slowly. */
export type LateNotice = { cell: string; taskId: string; status: string; latencyMs: number };

/** What the checker found in one round (see checker.ts). */
export type RoundCheck = {
  tasks: number;
  expected: number;
  inChat: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  late: LateNotice[];
  latenciesMs: number[];
  stagesMs: Stages;
  failedDeliveries: number;
  wrongOutcomes: number;
  lostWork: number;
  backboneNotIdle: number;
  attempts: Histogram;
  failures: string[];
};

export type Counts = {
  tasks: number;
  rounds: number;
  parents: number;
  /** Restarts of everything, children restarted alone, and chat faults that fired. */
  restarts: number;
  childRestarts: number;
  submitThrows: number;
  submitHangs: number;
  noticesExpected: number;
  inChat: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  failedDeliveries: number;
  wrongOutcomes: number;
  lostWork: number;
  backboneNotIdle: number;
};

/** Figures of one kind of round (storms, fleets): what hit them and how fast they settled. */
export type Figures = {
  rounds: number;
  parents: number;
  tasks: number;
  restarts: number;
  gapsMs: number[];
  /** Per round: from its last restart to its last notice in the chat. */
  settleMs: number[];
  /** Per round: the longest the harness's own timer fired late (the runtime's saturation). */
  stallMs: number[];
  /** Final status → attempts used → tasks. */
  attempts: Histogram;
};

export type Report = {
  seeds: number[];
  seconds: number;
  counts: Counts;
  /** Tasks per cell, "fault/target/outcome". */
  coverage: Record<string, number>;
  /** Final status → attempts used → tasks. */
  attempts: Histogram;
  /** Every notice's latency, from its slot opening to the chat. */
  latenciesMs: number[];
  stagesMs: Stages;
  late: LateNotice[];
  /** Every round, and the storms and fleets apart. */
  all: Figures;
  storm: Figures;
  fleet: Figures;
  /** Fault points rounds meant to hit and could not reach. */
  missed: string[];
  /** One line per task, batch or parent that did not end as planned. */
  failures: string[];
};

function emptyFigures(): Figures {
  return {
    rounds: 0,
    parents: 0,
    tasks: 0,
    restarts: 0,
    gapsMs: [],
    settleMs: [],
    stallMs: [],
    attempts: {}
  };
}

export function emptyReport(seeds: number[]): Report {
  return {
    seeds,
    seconds: 0,
    counts: {
      tasks: 0,
      rounds: 0,
      parents: 0,
      restarts: 0,
      childRestarts: 0,
      submitThrows: 0,
      submitHangs: 0,
      noticesExpected: 0,
      inChat: 0,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      failedDeliveries: 0,
      wrongOutcomes: 0,
      lostWork: 0,
      backboneNotIdle: 0
    },
    coverage: {},
    attempts: {},
    latenciesMs: [],
    stagesMs: { toSubmission: [], toChat: [], toSighting: [] },
    late: [],
    all: emptyFigures(),
    storm: emptyFigures(),
    fleet: emptyFigures(),
    missed: [],
    failures: []
  };
}

function addHistogram(into: Histogram, from: Histogram): void {
  for (const [status, byAttempts] of Object.entries(from)) {
    const row = into[status] ?? {};
    for (const [n, count] of Object.entries(byAttempts)) row[n] = (row[n] ?? 0) + count;
    into[status] = row;
  }
}

function addStages(into: Stages, from: Stages): void {
  into.toSubmission.push(...from.toSubmission);
  into.toChat.push(...from.toChat);
  into.toSighting.push(...from.toSighting);
}

function addFigures(into: Figures, from: Figures): void {
  into.rounds += from.rounds;
  into.parents += from.parents;
  into.tasks += from.tasks;
  into.restarts += from.restarts;
  into.gapsMs.push(...from.gapsMs);
  into.settleMs.push(...from.settleMs);
  into.stallMs.push(...from.stallMs);
  addHistogram(into.attempts, from.attempts);
}

/** One round, as the campaign adds it to its report. */
export type RoundFigures = {
  scenario: string;
  tasks: number;
  parents: number;
  check: RoundCheck;
  restarts: number;
  childRestarts: number;
  submitThrows: number;
  submitHangs: number;
  missed: string[];
  gapsMs: number[];
  settleAfterRestartMs: number | null;
  stallMs: number;
};

export function addRound(report: Report, round: RoundFigures): void {
  const c = report.counts;
  const k = round.check;
  c.tasks += round.tasks;
  c.rounds += 1;
  c.parents += round.parents;
  c.restarts += round.restarts;
  c.childRestarts += round.childRestarts;
  c.submitThrows += round.submitThrows;
  c.submitHangs += round.submitHangs;
  c.noticesExpected += k.expected;
  c.inChat += k.inChat;
  c.lost += k.lost;
  c.duplicated += k.duplicated;
  c.unexpected += k.unexpected;
  c.failedDeliveries += k.failedDeliveries;
  c.wrongOutcomes += k.wrongOutcomes;
  c.lostWork += k.lostWork;
  c.backboneNotIdle += k.backboneNotIdle;
  addHistogram(report.attempts, k.attempts);
  report.latenciesMs.push(...k.latenciesMs);
  addStages(report.stagesMs, k.stagesMs);
  report.late.push(...k.late);
  report.failures.push(...k.failures);
  report.missed.push(...round.missed.map((m) => `${round.scenario}: ${m}`));
  const figures: Figures = {
    rounds: 1,
    parents: round.parents,
    tasks: round.tasks,
    restarts: round.restarts,
    gapsMs: round.gapsMs,
    settleMs: round.settleAfterRestartMs === null ? [] : [round.settleAfterRestartMs],
    stallMs: [round.stallMs],
    attempts: k.attempts
  };
  addFigures(report.all, figures);
  if (round.scenario.startsWith("storm/")) addFigures(report.storm, figures);
  if (round.scenario.startsWith("fleet/")) addFigures(report.fleet, figures);
}

/** Several seeds' reports as one. */
export function mergeReports(reports: readonly Report[]): Report {
  const out = emptyReport(reports.flatMap((r) => r.seeds));
  for (const r of reports) {
    out.seconds += r.seconds;
    for (const key of Object.keys(out.counts) as (keyof Counts)[]) {
      out.counts[key] += r.counts[key];
    }
    for (const [cell, n] of Object.entries(r.coverage)) {
      out.coverage[cell] = (out.coverage[cell] ?? 0) + n;
    }
    addHistogram(out.attempts, r.attempts);
    out.latenciesMs.push(...r.latenciesMs);
    addStages(out.stagesMs, r.stagesMs);
    out.late.push(...r.late);
    addFigures(out.all, r.all);
    addFigures(out.storm, r.storm);
    addFigures(out.fleet, r.fleet);
    out.missed.push(...r.missed);
    out.failures.push(...r.failures);
  }
  return out;
}

/** The value below which `p` of the sorted values lie. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}
