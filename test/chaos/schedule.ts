// The campaign's coverage: every fault kind with the targets it hits and the
// outcomes it is drawn with (a cell is one fault × target × outcome), and a
// stratified schedule that gives every cell its share of tasks (at least
// one each once the campaign is big enough; five at the full size), packs
// them into rounds and shuffles the rounds with the seed.

import { type Outcome, planTask, type TaskPlan } from "./plan";
import { type Rng, rng } from "./rng";

/** Where in a task's life a restart lands (the "write" is the parent's ledger write, or the child's run record). */
export const POINTS = [
  "before-write",
  "after-write",
  "mid-run",
  "after-end-before-delivery",
  "during-delivery",
  "during-turn"
] as const;

/** Faults that are not one restart at one point. */
export const KINDS = [
  "storm",
  "submit-throw",
  "submit-hang",
  "fleet",
  "batch-each",
  "batch-all",
  "chain"
] as const;

export type Fault = (typeof POINTS)[number] | (typeof KINDS)[number];
/** What a fault hits: the parent (every object restarts), one child, everything, or the chat. */
export type Target = "parent" | "child" | "all" | "chat";

export type Scenario = { fault: Fault; target: Target; outcomes: readonly Outcome[] };

const SINGLE: readonly Outcome[] = [
  "completed",
  "error",
  "cancelled",
  "cancel-race",
  "budget",
  "never",
  "late"
];
const BATCH: readonly Outcome[] = ["completed", "error", "cancelled"];
const CHAIN: readonly Outcome[] = ["completed", "error", "dep-cancelled"];

export const SCENARIOS: readonly Scenario[] = [
  ...POINTS.flatMap((fault) =>
    (["parent", "child"] as const).map((target) => ({ fault, target, outcomes: SINGLE }))
  ),
  { fault: "storm", target: "all", outcomes: SINGLE },
  { fault: "submit-throw", target: "chat", outcomes: SINGLE },
  { fault: "submit-hang", target: "chat", outcomes: SINGLE },
  { fault: "fleet", target: "all", outcomes: SINGLE },
  ...(["batch-each", "batch-all", "chain"] as const).flatMap((fault) =>
    (["parent", "child"] as const).map((target) => ({
      fault,
      target,
      outcomes: fault === "chain" ? CHAIN : BATCH
    }))
  )
];

export function scenarioName(s: Pick<Scenario, "fault" | "target">): string {
  return `${s.fault}/${s.target}`;
}

export function cellName(s: Pick<Scenario, "fault" | "target">, outcome: Outcome): string {
  return `${scenarioName(s)}/${outcome}`;
}

export type Round = {
  index: number;
  scenario: Scenario;
  /** Task plans per parent: one parent, except in a fleet. */
  parents: TaskPlan[][];
  /** A batch round: its concurrency cap. */
  maxConcurrency?: number;
};

/** Tasks in one round of one parent; a batch's items; chains in one round. */
const ROUND_TASKS = 18;
const BATCH_ITEMS = 10;
const ROUND_CHAINS = 5;
/** The full campaign's fleet, and the small one of a small campaign. */
const FULL_FLEET = { parents: 20, tasks: 20 };
const SMALL_FLEET = { parents: 3, tasks: 3 };
const FULL_FLEET_FROM = 1000;

/**
 * The rounds of a campaign of about `total` tasks. With k = the tasks per
 * cell that fit (after the fleet), every cell gets k tasks and a seeded few
 * one more; below one per cell (a smoke campaign), every scenario still gets
 * a round, its outcomes drawn in rotation so that all of them appear.
 */
export function schedule(total: number, seed: number): Round[] {
  const r = rng(seed);
  let serial = 0;
  const key = () => `c${seed}-${serial++}`;
  const fleetSize = total >= FULL_FLEET_FROM ? FULL_FLEET : SMALL_FLEET;
  const others = SCENARIOS.filter((s) => s.fault !== "fleet");
  const cells = others.flatMap((s) => s.outcomes.map((outcome) => ({ s, outcome })));
  const budget = Math.max(0, total - fleetSize.parents * fleetSize.tasks);
  const k = Math.floor(budget / cells.length);

  // Tasks per cell.
  const count = new Map<string, number>();
  if (k >= 1) {
    for (const c of cells) count.set(cellName(c.s, c.outcome), k);
    for (const c of r.shuffle(cells).slice(0, budget - k * cells.length)) {
      const name = cellName(c.s, c.outcome);
      count.set(name, (count.get(name) ?? 0) + 1);
    }
  } else {
    const each = Math.max(1, Math.floor(budget / others.length));
    let turn = r.int(0, 6);
    for (const s of others) {
      for (let i = 0; i < each; i++) {
        const name = cellName(s, s.outcomes[turn++ % s.outcomes.length] as Outcome);
        count.set(name, (count.get(name) ?? 0) + 1);
      }
    }
  }
  const tasksOf = (s: Scenario) =>
    r.shuffle(
      s.outcomes.flatMap((outcome) =>
        Array.from({ length: count.get(cellName(s, outcome)) ?? 0 }, () => outcome)
      )
    );

  const rounds: Omit<Round, "index">[] = [];
  for (const s of others) {
    const outcomes = tasksOf(s);
    if (outcomes.length === 0) continue;
    if (s.fault === "chain") {
      for (const chains of split(chainsFor(outcomes, k, r), ROUND_CHAINS)) {
        rounds.push({ scenario: s, parents: [chains.flatMap((c) => chainPlans(c, key, r))] });
      }
    } else if (s.fault === "batch-each" || s.fault === "batch-all") {
      // A batch needs items to queue behind its cap: at least three.
      while (outcomes.length < 3) outcomes.push("completed");
      for (const items of split(outcomes, BATCH_ITEMS)) {
        const plans = items.map((o) => ({
          ...planTask(o, key(), r),
          ...(s.fault === "batch-all" ? { silent: true } : {})
        }));
        rounds.push({ scenario: s, parents: [plans], maxConcurrency: r.int(2, 3) });
      }
    } else {
      for (const part of split(outcomes, ROUND_TASKS)) {
        rounds.push({ scenario: s, parents: [part.map((o) => planTask(o, key(), r))] });
      }
    }
  }
  const fleet = SCENARIOS.find((s) => s.fault === "fleet");
  if (fleet) {
    // Every outcome in turn, from a seeded start, over every parent's tasks.
    let turn = r.int(0, fleet.outcomes.length - 1);
    const parents = Array.from({ length: fleetSize.parents }, () =>
      Array.from({ length: fleetSize.tasks }, () =>
        planTask(fleet.outcomes[turn++ % fleet.outcomes.length] as Outcome, key(), r)
      )
    );
    rounds.push({ scenario: fleet, parents });
  }
  return r.shuffle(rounds).map((round, index) => ({ ...round, index }));
}

type ChainShape = "complete" | "fail-first" | "fail-middle";

/**
 * Chains (A → B → C) that give each chain cell at least its share: a chain
 * failing in the middle has one task of each outcome; whole and
 * failing-first chains are mixed in (a third as many each) so that a chain
 * runs end to end, and one cut at its head, too.
 */
function chainsFor(outcomes: Outcome[], k: number, r: Rng): ChainShape[] {
  if (k < 1) return ["fail-middle"];
  const middle = outcomes.filter((o) => o === "error").length;
  const extra = Math.ceil(middle / 3);
  return r.shuffle([
    ...Array<ChainShape>(middle).fill("fail-middle"),
    ...Array<ChainShape>(extra).fill("complete"),
    ...Array<ChainShape>(extra).fill("fail-first")
  ]);
}

function chainPlans(shape: ChainShape, key: () => string, r: Rng): TaskPlan[] {
  const outcomes: Outcome[] =
    shape === "complete"
      ? ["completed", "completed", "completed"]
      : shape === "fail-first"
        ? ["error", "dep-cancelled", "dep-cancelled"]
        : ["completed", "error", "dep-cancelled"];
  const plans: TaskPlan[] = [];
  for (const outcome of outcomes) {
    const previous = plans.at(-1);
    plans.push({ ...planTask(outcome, key(), r), ...(previous ? { after: previous.key } : {}) });
  }
  return plans;
}

/** Split into parts of at most `size`, as even as can be. */
function split<T>(items: readonly T[], size: number): T[][] {
  const parts = Math.ceil(items.length / size);
  return Array.from({ length: parts }, (_, i) =>
    items.slice(
      Math.floor((i * items.length) / parts),
      Math.floor(((i + 1) * items.length) / parts)
    )
  );
}

/** Tasks per cell of a schedule: what the coverage matrix shows. */
export function coverage(rounds: readonly Round[]): Record<string, number> {
  const cells: Record<string, number> = {};
  for (const round of rounds) {
    for (const plans of round.parents) {
      for (const plan of plans) {
        const name = cellName(round.scenario, plan.outcome);
        cells[name] = (cells[name] ?? 0) + 1;
      }
    }
  }
  return cells;
}
