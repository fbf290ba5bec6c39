// The shapes of the figures the bench scenarios print, shared with
// scripts/bench.ts, which turns them into docs/performance.md.

export type Burst = {
  n: number;
  dispatchMs: number;
  dispatchInsideMs: number;
  waiting: number;
  allInMs: number;
  childrenEndedMs: number;
  delivered: number;
  duplicated: number;
  turns: number;
};
export type ParentsRow = {
  parents: number;
  perParent: number;
  mode: string;
  restart: boolean;
  dispatchMs: number;
  allInMs: number;
  perTaskMs: number;
  delivered: number;
  duplicated: number;
};
