// The shapes of the figures the bench scenarios print, shared with
// scripts/bench.ts, which turns them into docs/performance.md.

export type Burst = {
  mode: string;
  /** The round it ran in (1, 2, …; 0 for the unmeasured warm-up), one run of each mode a round. */
  round: number;
  /** Whether it ran first or second in its round (the order alternates round to round). */
  position: number;
  n: number;
  dispatchMs: number;
  dispatchInsideMs: number;
  /** From the dispatch call to every child waiting at the gate. */
  atGateMs: number;
  /** How long the gate stayed shut after every child waited at it. */
  holdMs: number;
  waiting: number;
  /** From the gate opening to the last notice accepted (its submission queued). */
  allInMs: number;
  /** …to the last notice's message in the chat's history (its turn began). */
  inChatMs: number;
  /** …to the end of the model's turn over the last notice. */
  answeredMs: number;
  childrenEndedMs: number;
  /** …to the parent's last finish hook: when it last heard of a child's end. */
  heardMs: number;
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
  /** From the dispatch to the last child's end, as the SDK recorded it. */
  childrenEndedMs: number;
  allInMs: number;
  /**
   * How long the test's restart of everything (`abortAllDurableObjects`)
   * took to return: the harness's own time, growing with the objects it
   * aborts, and left out of `perTaskMs`.
   */
  restartMs: number;
  /** From the dispatch to the restart: when every child was in the middle of its turn. */
  restartedAtMs: number | null;
  /** (all in − the restart's own time) / tasks. */
  perTaskMs: number;
  delivered: number;
  duplicated: number;
};

/** One warm run's moments: the child's end, the parent's finish hook, the submission called and accepted. */
export type WarmRun = { end: number; hook: number; submit: number; accepted: number };
type Spread = { p50: number; p95: number };
/** Warm completion in one mode: end to accepted, and each step of it. */
export type Warm = Spread & {
  n: number;
  steps: {
    /** The child's end to the SDK's finish hook in the parent: the SDK's share. */
    heard: Spread;
    /** The finish hook to the submission's call: the mode's own share. */
    own: Spread;
    /** The submission's call to its acceptance: Think's share. */
    accepted: Spread;
  };
};
