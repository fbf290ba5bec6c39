// Reads: one task, a page of tasks, a batch, waiting for tasks to end, and
// the change signal that wakes waiters. Nothing here changes a task.

import { checkWait } from "./arguments";
import { InvalidInputError, UnknownTaskError } from "./errors";
import type { Ledger } from "./ledger";
import { toBatch, toPrunedTask, toTask } from "./rows";
import { isEnded, isTaskStatus, TASK_STATUSES, type TaskStatus } from "./status";
import type {
  BackgroundBatch,
  BackgroundTask,
  ListOptions,
  ListResult,
  WaitOptions,
  WaitResult
} from "./types";
import { checkId, isId, isPlainObject } from "./validate";

const MAX_LIST_LIMIT = 200;

function encodeCursor(row: { created_at: number; id: string }): string {
  return btoa(JSON.stringify([row.created_at, row.id]));
}

function decodeCursor(cursor: unknown): { createdAt: number; id: string } {
  try {
    if (typeof cursor !== "string" || cursor.length > 512) throw new Error("not a cursor");
    const [createdAt, id] = JSON.parse(atob(cursor)) as [unknown, unknown];
    if (typeof createdAt === "number" && Number.isFinite(createdAt) && isId(id)) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("cursor", "is not a cursor returned by list()");
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class Reads {
  readonly #ledger: Ledger;
  /** Resolved on every change, for waiters. */
  #changed = deferred();

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /** Something changed: wake every waiter. */
  signal(): void {
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  /** A task, whole; or, once pruned, its summary (`prunedAt` set); or null. */
  get(taskId: string): BackgroundTask | null {
    const row = this.#ledger.tasks.get(checkId(taskId, "taskId"));
    if (row && row.pruning_at === null) return toTask(row, this.#ledger.notices.of(row.id));
    const summary = this.#ledger.pruned.summary(taskId);
    return summary ? toPrunedTask(summary) : null;
  }

  getBatch(batchId: string): BackgroundBatch | null {
    const row = this.#ledger.batches.get(checkId(batchId, "batchId"));
    if (!row) return null;
    return toBatch(
      row,
      this.#ledger.batches.tasks(row.id).map((t) => t.id)
    );
  }

  list(options: ListOptions = {}): ListResult {
    if (!isPlainObject(options)) {
      throw new InvalidInputError("options", "must be an object: { status, limit, cursor }");
    }
    const limit = options.limit ?? 50;
    if (
      typeof limit !== "number" ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > MAX_LIST_LIMIT
    ) {
      throw new InvalidInputError("limit", `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    let statuses: TaskStatus[] | null = null;
    if (options.status !== undefined) {
      const given: unknown[] = Array.isArray(options.status) ? options.status : [options.status];
      if (given.length === 0 || !given.every(isTaskStatus)) {
        throw new InvalidInputError("status", `must be one of ${TASK_STATUSES.join(", ")}`);
      }
      statuses = given;
    }
    const before = options.cursor === undefined ? null : decodeCursor(options.cursor);
    const refs = this.#ledger.listing.page({ statuses, limit: limit + 1, before });
    const page = refs.slice(0, limit);
    const whole = page.filter((r) => r.pruned === 0).map((r) => r.id);
    const rows = this.#ledger.listing.tasks(whole);
    const notices = this.#ledger.notices.ofMany(whole);
    const summaries = this.#ledger.pruned.summaries(
      page.filter((r) => r.pruned === 1).map((r) => r.id)
    );
    const tasks = page.flatMap((ref) => {
      const row = ref.pruned === 0 ? rows.get(ref.id) : undefined;
      if (row) return [toTask(row, notices.get(ref.id) ?? [])];
      const summary = summaries.get(ref.id);
      return summary ? [toPrunedTask(summary)] : [];
    });
    const last = page[page.length - 1];
    return {
      tasks,
      nextCursor: refs.length > limit && last ? encodeCursor(last) : null
    };
  }

  /**
   * Wait until every task (`all`) or one of them (`any`) has ended, or until
   * the timeout. Returns the tasks as they are then. Unknown ids are refused.
   */
  async waitFor(ids: readonly string[], waitOptions: WaitOptions): Promise<WaitResult> {
    const { taskIds, ...options } = checkWait(ids, waitOptions);
    for (const id of taskIds) {
      if (!this.#ledger.tasks.get(id) && !this.#ledger.pruned.summary(id)) {
        throw new UnknownTaskError("taskIds", id);
      }
    }
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const tasks = taskIds.flatMap((id) => {
        const task = this.get(id);
        return task ? [task] : [];
      });
      const ended = tasks.filter((t) => isEnded(t.status)).length;
      const done = options.mode === "all" ? ended === tasks.length : ended > 0;
      const left = deadline - Date.now();
      if (done || left <= 0) return { done, tasks };
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#changed.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        })
      ]);
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
