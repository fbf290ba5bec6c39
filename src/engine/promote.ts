// What may start now: scheduled tasks whose time has come, and waiting tasks
// whose dependencies completed, within the global and per-batch caps. A task
// whose dependency ended badly is cancelled, saying which and why.

import { dependencyVerdict } from "./dependencies";
import type { Dispatcher } from "./dispatch";
import type { EngineContext } from "./host";
import { afterOf, type TaskRow } from "./rows";

/** Cancels a task that can never start, with the reason its notice gives. */
export type Doom = (row: TaskRow, reason: string) => Promise<unknown>;

export class Promoter {
  readonly #c: EngineContext;
  readonly #dispatcher: Dispatcher;
  readonly #doom: Doom;
  #running = false;
  #again = false;

  constructor(context: EngineContext, dispatcher: Dispatcher, doom: Doom) {
    this.#c = context;
    this.#dispatcher = dispatcher;
    this.#doom = doom;
  }

  /** Start what may start; returns how many started. Re-entrant calls fold into the running one. */
  async promote(): Promise<number> {
    if (this.#running) {
      this.#again = true;
      return 0;
    }
    this.#running = true;
    let started = 0;
    try {
      do {
        this.#again = false;
        started += await this.#pass();
      } while (this.#again);
    } finally {
      this.#running = false;
    }
    return started;
  }

  async #pass(): Promise<number> {
    const { ledger, options } = this.#c;
    const now = Date.now();
    ledger.tasks.releaseDueScheduled(now);
    let started = 0;
    for (const row of ledger.tasks.waiting()) {
      const deps = afterOf(row).map((id) => ({ id, status: ledger.tasks.get(id)?.status }));
      const verdict = dependencyVerdict(deps);
      if (verdict.kind === "blocked") continue;
      if (verdict.kind === "doomed") {
        const why =
          verdict.status === "missing"
            ? "no longer exists"
            : verdict.status === "gave_up"
              ? "was given up"
              : verdict.status;
        await this.#doom(row, `its dependency ${verdict.id} ${why}`);
        continue;
      }
      if (row.batch_id) {
        const batch = ledger.batches.get(row.batch_id);
        if (batch && ledger.tasks.countRunningInBatch(batch.id) >= batch.max_concurrency) continue;
      }
      if (ledger.tasks.countRunning() >= options.maxConcurrentTasks) break;
      if (ledger.tasks.markStarted(row.id, now)) {
        started++;
        this.#dispatcher.attach(row, false);
        this.#c.changed(row.id);
      }
    }
    return started;
  }
}
