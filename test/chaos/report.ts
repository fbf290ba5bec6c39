// What the fault campaign prints (one `CHAOS {…}` line) and `npm run chaos`
// reads back into docs/reliability.md.

export type Counts = {
  tasks: number;
  faults: number;
  expected: number;
  delivered: number;
  duplicated: number;
  lost: number;
  wrongStatus: number;
  rounds: number;
};

export type Report = Counts & {
  seed: number;
  /** Rounds by fault point and target ("mid-run/child"). */
  byPoint: Record<string, number>;
  /** One line per task (or round) that did not end as expected. */
  failures: string[];
};
