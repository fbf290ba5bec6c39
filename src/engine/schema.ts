// The engine's tables, created and migrated by one idempotent function.

import {
  CHAT_SUBMISSION_STATES,
  DELIVERY_POLICIES,
  ENDED_STATUSES,
  GIVE_UP_REASONS,
  NOTICE_SLOTS,
  NOTICE_STATUSES,
  RERUN_POLICIES,
  sqlList,
  TASK_STATUSES
} from "./status";

export const SCHEMA_VERSION = 5;

/** Each entry moves the schema from version i to i + 1. Append, never edit a released one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS bg_tasks (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    agent TEXT NOT NULL,
    title TEXT NOT NULL,
    input_json TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    source TEXT NOT NULL,
    delivery TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${sqlList(TASK_STATUSES)})),
    give_up_reason TEXT CHECK (give_up_reason IS NULL OR give_up_reason IN (${sqlList(GIVE_UP_REASONS)})),
    stop_reason TEXT CHECK (stop_reason IS NULL OR stop_reason IN ('budget', 'cancel')),
    cancel_reason TEXT,
    budget_ms INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    run_at INTEGER,
    started_at INTEGER,
    ended_at INTEGER,
    after_json TEXT,
    batch_id TEXT,
    null_streak INTEGER NOT NULL DEFAULT 0,
    inspections INTEGER NOT NULL DEFAULT 0,
    last_inspected_at INTEGER,
    progress_json TEXT,
    summary TEXT,
    output_json TEXT,
    error TEXT
  );
  CREATE INDEX IF NOT EXISTS bg_tasks_by_status ON bg_tasks (status, created_at);
  CREATE INDEX IF NOT EXISTS bg_tasks_by_created ON bg_tasks (created_at, id);
  CREATE INDEX IF NOT EXISTS bg_tasks_by_batch ON bg_tasks (batch_id) WHERE batch_id IS NOT NULL;
  CREATE TABLE IF NOT EXISTS bg_batches (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    instructions TEXT NOT NULL,
    max_concurrency INTEGER NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('each', 'all')),
    idempotency_key TEXT UNIQUE,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS bg_notices (
    task_id TEXT NOT NULL,
    slot TEXT NOT NULL CHECK (slot IN (${sqlList(NOTICE_SLOTS)})),
    status TEXT NOT NULL CHECK (status IN (${sqlList(NOTICE_STATUSES)})),
    policy TEXT NOT NULL CHECK (policy IN (${sqlList(DELIVERY_POLICIES)}, 'callback')),
    created_at INTEGER NOT NULL,
    claimed_until INTEGER,
    claimed_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    digest_id TEXT,
    delivered_at INTEGER,
    submission_id TEXT,
    last_error TEXT,
    PRIMARY KEY (task_id, slot)
  );
  CREATE INDEX IF NOT EXISTS bg_notices_undelivered ON bg_notices (created_at)
    WHERE delivered_at IS NULL;
  `,
  // 2: attempts (a child run cut short by a restart is run again under a new
  // run id), and bounded delivery (a notice's group, and a terminal failure).
  `
  ALTER TABLE bg_tasks ADD COLUMN rerun TEXT NOT NULL DEFAULT 'always'
    CHECK (rerun IN (${sqlList(RERUN_POLICIES)}));
  ALTER TABLE bg_tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE bg_tasks ADD COLUMN attempt_started_at INTEGER;
  ALTER TABLE bg_tasks ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;
  UPDATE bg_tasks SET attempt_started_at = started_at, confirmed = 1;
  CREATE TABLE IF NOT EXISTS bg_runs (
    run_id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    interrupted_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS bg_runs_by_task ON bg_runs (task_id, attempt);
  INSERT OR IGNORE INTO bg_runs (run_id, task_id, attempt, agent, created_at)
    SELECT run_id, id, 1, agent, created_at FROM bg_tasks;
  ALTER TABLE bg_notices RENAME COLUMN digest_id TO group_id;
  ALTER TABLE bg_notices ADD COLUMN failed_at INTEGER;
  CREATE INDEX IF NOT EXISTS bg_notices_by_group ON bg_notices (group_id)
    WHERE group_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS bg_notices_owed ON bg_notices (policy, created_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
  `,
  // 3: retention. An ended task is pruned (its rows, its children, the SDK's
  // run rows and its submissions removed) and leaves a small summary behind.
  `
  ALTER TABLE bg_tasks ADD COLUMN pruning_at INTEGER;
  ALTER TABLE bg_tasks ADD COLUMN prune_requeued INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX IF NOT EXISTS bg_tasks_by_end ON bg_tasks (ended_at) WHERE ended_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS bg_pruned (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${sqlList(ENDED_STATUSES)})),
    give_up_reason TEXT,
    outcome TEXT,
    idempotency_key TEXT UNIQUE,
    batch_id TEXT,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    pruned_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS bg_pruned_by_created ON bg_pruned (created_at, id);
  CREATE INDEX IF NOT EXISTS bg_pruned_by_pruned ON bg_pruned (pruned_at);
  `,
  // 4: hosts whose chat has no durable, keyed submissions of its own
  // (AIChatAgent): ours, and the notice messages the host vouches for.
  `
  CREATE TABLE IF NOT EXISTS bg_chat_submissions (
    idempotency_key TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL UNIQUE,
    messages_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN (${sqlList(CHAT_SUBMISSION_STATES)})),
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS bg_chat_submissions_open ON bg_chat_submissions (created_at)
    WHERE state != 'done';
  CREATE INDEX IF NOT EXISTS bg_tasks_pruning ON bg_tasks (pruning_at)
    WHERE pruning_at IS NOT NULL;
  CREATE INDEX IF NOT EXISTS bg_notices_failed ON bg_notices (task_id)
    WHERE failed_at IS NOT NULL AND delivered_at IS NULL;
  CREATE TABLE IF NOT EXISTS bg_chat_notices (
    message_id TEXT PRIMARY KEY,
    message_json TEXT NOT NULL
  );
  `,
  // 5: stalled runs. Since when a run no fast path follows has shown no sign
  // of life while its child still calls it running.
  `
  ALTER TABLE bg_tasks ADD COLUMN quiet_since INTEGER;
  `
];

/** Create or migrate the engine's tables. Safe to call on every start. */
export function ensureSchema(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS bg_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec("SELECT value FROM bg_meta WHERE key = 'schema_version'").toArray()[0];
  const current = row ? Number(row.value) : 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `agents-background: the stored schema is version ${current}, newer than this code (${SCHEMA_VERSION}).`
    );
  }
  if (current === SCHEMA_VERSION) return;
  storage.transactionSync(() => {
    for (let v = current; v < SCHEMA_VERSION; v++) {
      const migration = MIGRATIONS[v];
      if (migration) sql.exec(migration);
    }
    sql.exec(
      "INSERT INTO bg_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      String(SCHEMA_VERSION)
    );
  });
}
