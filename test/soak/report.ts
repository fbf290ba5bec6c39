// What the soak prints (one `SOAK {…}` line) and `npm run soak` reads back
// into docs/performance.md.

/** Storage as the soak reads it: rows per table, children left, and SQLite sizes. */
export type SoakStats = {
  tables: Record<string, number>;
  children: number;
  parentBytes: number;
  /** The children's SQLite size: the mean of a sample of them, times their number. */
  childBytes: number;
  childSample: number;
};

export type SoakPoint = SoakStats & { tasks: number; seconds: number };

export type SoakReport = { total: number; on: SoakPoint[]; off: SoakPoint[] };
