// The bad-input catalogue: for every public method, option set, tool and
// board route, boundary and hostile values and what each gets. The workerd
// and unit tests run these cases; docs/reliability.md lists them, and a unit
// test keeps that table equal to this file.
//
// `OTHER` stands for a real task id of another agent instance: the tests put
// one in its place.

export const OTHER = "$OTHER_TASK";

/** One input and what it gets: an error code (and the field it names), or a plain answer. */
export type Case<Args> = { field: string; input: string; code: string; args: Args };

export type Surface<Args> = { surface: string; cases: Case<Args>[] };

const DAY = 24 * 60 * 60 * 1000;
export const MIB = "x".repeat(1024 * 1024);
const LONE = "\uD800";

function withProto(json: string): unknown {
  return JSON.parse(json) as unknown;
}

function circular(): unknown {
  const self: Record<string, unknown> = { task: "loop" };
  self.self = self;
  return self;
}

// ── start() ──────────────────────────────────────────────────────────────────

const x = { input: "x" };

export const START: Surface<unknown> = {
  surface: "start()",
  cases: [
    { field: "options", input: "not an object (a string)", code: "invalid_input", args: "go" },
    { field: "options", input: "null", code: "invalid_input", args: null },
    { field: "options", input: "an array", code: "invalid_input", args: [x] },
    { field: "input", input: "missing", code: "invalid_input", args: { title: "x" } },
    {
      field: "input",
      input: "only under a `__proto__` key",
      code: "invalid_input",
      args: withProto('{"__proto__": {"input": "x"}}')
    },
    { field: "input", input: "2 MiB of JSON", code: "limit_exceeded", args: { input: MIB + MIB } },
    { field: "input", input: "a BigInt", code: "invalid_input", args: { input: { n: 10n } } },
    { field: "input", input: "NaN", code: "invalid_input", args: { input: Number.NaN } },
    {
      field: "input",
      input: "Infinity inside an object",
      code: "invalid_input",
      args: { input: { n: Number.POSITIVE_INFINITY } }
    },
    {
      field: "input",
      input: "a circular object",
      code: "invalid_input",
      args: { input: circular() }
    },
    { field: "title", input: "empty", code: "invalid_input", args: { ...x, title: "" } },
    { field: "title", input: "blank", code: "invalid_input", args: { ...x, title: " \n\t " } },
    {
      field: "title",
      input: "201 characters",
      code: "invalid_input",
      args: { ...x, title: "t".repeat(201) }
    },
    { field: "title", input: "1 MiB", code: "invalid_input", args: { ...x, title: MIB } },
    { field: "title", input: "a number", code: "invalid_input", args: { ...x, title: 42 } },
    {
      field: "title",
      input: "a lone surrogate",
      code: "invalid_input",
      args: { ...x, title: `a${LONE}b` }
    },
    {
      field: "idempotencyKey",
      input: "empty",
      code: "invalid_input",
      args: { ...x, idempotencyKey: "" }
    },
    {
      field: "idempotencyKey",
      input: "257 characters",
      code: "invalid_input",
      args: { ...x, idempotencyKey: "k".repeat(257) }
    },
    {
      field: "idempotencyKey",
      input: "a number",
      code: "invalid_input",
      args: { ...x, idempotencyKey: 7 }
    },
    {
      field: "idempotencyKey",
      input: "a lone surrogate (would collide once stored)",
      code: "invalid_input",
      args: { ...x, idempotencyKey: `k${LONE}` }
    },
    { field: "budgetMs", input: "0", code: "invalid_input", args: { ...x, budgetMs: 0 } },
    {
      field: "budgetMs",
      input: "0.4 (rounds to 0)",
      code: "invalid_input",
      args: { ...x, budgetMs: 0.4 }
    },
    { field: "budgetMs", input: "-1", code: "invalid_input", args: { ...x, budgetMs: -1 } },
    {
      field: "budgetMs",
      input: "NaN",
      code: "invalid_input",
      args: { ...x, budgetMs: Number.NaN }
    },
    {
      field: "budgetMs",
      input: "Infinity",
      code: "invalid_input",
      args: { ...x, budgetMs: Number.POSITIVE_INFINITY }
    },
    { field: "budgetMs", input: '"1000"', code: "invalid_input", args: { ...x, budgetMs: "1000" } },
    {
      field: "budgetMs",
      input: "7 days + 1 ms",
      code: "invalid_input",
      args: { ...x, budgetMs: 7 * DAY + 1 }
    },
    {
      field: "runAt",
      input: "in the past (2001)",
      code: "invalid_input",
      args: { ...x, runAt: new Date("2001-01-01") }
    },
    { field: "runAt", input: "epoch 0", code: "invalid_input", args: { ...x, runAt: 0 } },
    { field: "runAt", input: "negative", code: "invalid_input", args: { ...x, runAt: -1 } },
    {
      field: "runAt",
      input: "year 3000",
      code: "invalid_input",
      args: { ...x, runAt: new Date("3000-01-01") }
    },
    {
      field: "runAt",
      input: "Number.MAX_VALUE",
      code: "invalid_input",
      args: { ...x, runAt: Number.MAX_VALUE }
    },
    {
      field: "runAt",
      input: "an invalid Date",
      code: "invalid_input",
      args: { ...x, runAt: new Date("nope") }
    },
    {
      field: "runAt",
      input: "a string",
      code: "invalid_input",
      args: { ...x, runAt: "2030-01-01" }
    },
    { field: "runAt", input: "NaN", code: "invalid_input", args: { ...x, runAt: Number.NaN } },
    {
      field: "runAt",
      input: "-Infinity",
      code: "invalid_input",
      args: { ...x, runAt: Number.NEGATIVE_INFINITY }
    },
    { field: "after", input: "a string", code: "invalid_input", args: { ...x, after: "task_1" } },
    {
      field: "after",
      input: "an array-like object",
      code: "invalid_input",
      args: { ...x, after: { 0: "task_1", length: 1 } }
    },
    { field: "after", input: "[an empty id]", code: "invalid_input", args: { ...x, after: [""] } },
    { field: "after", input: "[a number]", code: "invalid_input", args: { ...x, after: [42] } },
    {
      field: "after",
      input: "[an id of 129 characters]",
      code: "invalid_input",
      args: { ...x, after: ["t".repeat(129)] }
    },
    {
      field: "after",
      input: "[an unknown task]",
      code: "unknown_task",
      args: { ...x, after: ["task_00000000000000000000000000000000"] }
    },
    {
      field: "after",
      input: '["__proto__"]',
      code: "unknown_task",
      args: { ...x, after: ["__proto__"] }
    },
    {
      field: "after",
      input: "[a task of another agent instance]",
      code: "unknown_task",
      args: { ...x, after: [OTHER] }
    },
    {
      field: "after",
      input: "21 tasks",
      code: "limit_exceeded",
      args: { ...x, after: Array.from({ length: 21 }, (_, i) => `t${i}`) }
    },
    {
      field: "delivery",
      input: "an unknown policy",
      code: "invalid_input",
      args: { ...x, delivery: "loud" }
    },
    {
      field: "delivery",
      input: '"__proto__"',
      code: "invalid_input",
      args: { ...x, delivery: "__proto__" }
    },
    { field: "delivery", input: "null", code: "invalid_input", args: { ...x, delivery: null } },
    {
      field: "delivery",
      input: "{ onFinish: 5 }",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: 5 } }
    },
    {
      field: "delivery.onFinish",
      input: "an SDK method (destroy)",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: "destroy" } }
    },
    {
      field: "delivery.onFinish",
      input: "the engine's own backgroundTick",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: "backgroundTick" } }
    },
    {
      field: "delivery.onFinish",
      input: "__proto__",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: "__proto__" } }
    },
    {
      field: "delivery.onFinish",
      input: "constructor",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: "constructor" } }
    },
    {
      field: "delivery.onFinish",
      input: "1 MiB",
      code: "invalid_input",
      args: { ...x, delivery: { onFinish: MIB } }
    },
    { field: "metadata", input: "a string", code: "invalid_input", args: { ...x, metadata: "m" } },
    { field: "metadata", input: "null", code: "invalid_input", args: { ...x, metadata: null } },
    {
      field: "metadata.source",
      input: "empty",
      code: "invalid_input",
      args: { ...x, metadata: { source: "" } }
    },
    {
      field: "metadata.source",
      input: "65 characters",
      code: "invalid_input",
      args: { ...x, metadata: { source: "s".repeat(65) } }
    },
    {
      field: "metadata.source",
      input: "a number",
      code: "invalid_input",
      args: { ...x, metadata: { source: 1 } }
    },
    {
      field: "metadata.source",
      input: "a lone surrogate",
      code: "invalid_input",
      args: { ...x, metadata: { source: LONE } }
    },
    { field: "rerun", input: "unknown", code: "invalid_input", args: { ...x, rerun: "maybe" } },
    { field: "rerun", input: "true", code: "invalid_input", args: { ...x, rerun: true } }
  ]
};

// ── startMany() ──────────────────────────────────────────────────────────────
// Items name their child by the test worker's class name; the test puts the
// class in its place.

const item = { agent: "Worker", input: "x" };

export const START_MANY: Surface<unknown> = {
  surface: "startMany()",
  cases: [
    { field: "items", input: "not an array", code: "invalid_input", args: item },
    { field: "items", input: "empty", code: "invalid_input", args: [] },
    {
      field: "items",
      input: "501 tasks",
      code: "limit_exceeded",
      args: Array.from({ length: 501 }, () => item)
    },
    { field: "items[1].options", input: "null", code: "invalid_input", args: [item, null] },
    {
      field: "items[1].input",
      input: "missing (the first item valid)",
      code: "invalid_input",
      args: [item, { agent: "Worker" }]
    },
    {
      field: "items[0].agent",
      input: "not a chat agent",
      code: "not_chat_agent",
      args: [{ ...item, agent: "PlainAgent" }]
    },
    {
      field: "items[2].budgetMs",
      input: "0",
      code: "invalid_input",
      args: [item, item, { ...item, budgetMs: 0 }]
    },
    {
      field: "items[1].after",
      input: "[an unknown task]",
      code: "unknown_task",
      args: [item, { ...item, after: ["task_nope"] }]
    }
  ]
};

// ── startBatch() ─────────────────────────────────────────────────────────────

const batch = {
  items: [{ input: "a" }],
  instructions: "do it",
  maxConcurrency: 1,
  delivery: "each"
};

export const START_BATCH: Surface<unknown> = {
  surface: "startBatch()",
  cases: [
    { field: "options", input: "null", code: "invalid_input", args: null },
    { field: "options", input: "an array", code: "invalid_input", args: [batch] },
    {
      field: "items",
      input: "missing",
      code: "invalid_input",
      args: { ...batch, items: undefined }
    },
    { field: "items", input: "empty", code: "invalid_input", args: { ...batch, items: [] } },
    { field: "items", input: "a string", code: "invalid_input", args: { ...batch, items: "a" } },
    {
      field: "items",
      input: "51 items (limit 50)",
      code: "limit_exceeded",
      args: { ...batch, items: Array.from({ length: 51 }, (_, i) => ({ input: i })) }
    },
    {
      field: "items[0].input",
      input: "a null item",
      code: "invalid_input",
      args: { ...batch, items: [null] }
    },
    {
      field: "items[1].input",
      input: "an item without input",
      code: "invalid_input",
      args: { ...batch, items: [{ input: "a" }, {}] }
    },
    {
      field: "items[0].input",
      input: "2 MiB of JSON",
      code: "limit_exceeded",
      args: { ...batch, items: [{ input: MIB + MIB }] }
    },
    {
      field: "items[0].input",
      input: "NaN",
      code: "invalid_input",
      args: { ...batch, items: [{ input: Number.NaN }] }
    },
    {
      field: "items[0].title",
      input: "empty",
      code: "invalid_input",
      args: { ...batch, items: [{ input: "a", title: "" }] }
    },
    {
      field: "instructions",
      input: "a number",
      code: "invalid_input",
      args: { ...batch, instructions: 42 }
    },
    {
      field: "instructions",
      input: "8001 characters",
      code: "invalid_input",
      args: { ...batch, instructions: "i".repeat(8001) }
    },
    {
      field: "instructions",
      input: "a lone surrogate",
      code: "invalid_input",
      args: { ...batch, instructions: LONE }
    },
    {
      field: "maxConcurrency",
      input: "0",
      code: "invalid_input",
      args: { ...batch, maxConcurrency: 0 }
    },
    {
      field: "maxConcurrency",
      input: "1.5",
      code: "invalid_input",
      args: { ...batch, maxConcurrency: 1.5 }
    },
    {
      field: "maxConcurrency",
      input: "NaN",
      code: "invalid_input",
      args: { ...batch, maxConcurrency: Number.NaN }
    },
    {
      field: "maxConcurrency",
      input: "Infinity",
      code: "invalid_input",
      args: { ...batch, maxConcurrency: Number.POSITIVE_INFINITY }
    },
    {
      field: "maxConcurrency",
      input: '"2"',
      code: "invalid_input",
      args: { ...batch, maxConcurrency: "2" }
    },
    {
      field: "maxConcurrency",
      input: "over maxConcurrentTasks",
      code: "invalid_input",
      args: { ...batch, maxConcurrency: 101 }
    },
    {
      field: "delivery",
      input: "neither each nor all",
      code: "invalid_input",
      args: { ...batch, delivery: "some" }
    },
    {
      field: "idempotencyKey",
      input: "empty",
      code: "invalid_input",
      args: { ...batch, idempotencyKey: "" }
    },
    { field: "budgetMs", input: "-1", code: "invalid_input", args: { ...batch, budgetMs: -1 } },
    {
      field: "metadata.source",
      input: "empty",
      code: "invalid_input",
      args: { ...batch, metadata: { source: "" } }
    }
  ]
};

// ── get(), refresh(), transcript(), cancel(), getBatch() ─────────────────────

/** Ids passed to every lookup. `code` "unknown" means the plain answer for an unknown id. */
export const IDS: Surface<unknown> = {
  surface: "get(), refresh(), transcript(), cancel(), retryDelivery(), forget(), getBatch()",
  cases: [
    { field: "taskId / batchId", input: "a number", code: "invalid_input", args: 42 },
    { field: "taskId / batchId", input: "null", code: "invalid_input", args: null },
    { field: "taskId / batchId", input: "an object", code: "invalid_input", args: { id: "t" } },
    { field: "taskId / batchId", input: "empty", code: "invalid_input", args: "" },
    {
      field: "taskId / batchId",
      input: "129 characters",
      code: "invalid_input",
      args: "t".repeat(129)
    },
    { field: "taskId / batchId", input: "1 MiB", code: "invalid_input", args: MIB },
    {
      field: "taskId / batchId",
      input: "a lone surrogate",
      code: "invalid_input",
      args: `task_${LONE}`
    },
    { field: "taskId / batchId", input: '"__proto__"', code: "unknown", args: "__proto__" },
    { field: "taskId / batchId", input: '"constructor"', code: "unknown", args: "constructor" },
    {
      field: "taskId / batchId",
      input: "SQL (`' OR 1=1 --`)",
      code: "unknown",
      args: "' OR 1=1 --"
    },
    {
      field: "taskId / batchId",
      input: "odd unicode (Cyrillic, an emoji, an RTL override)",
      code: "unknown",
      args: "задача🚀\u202e"
    },
    {
      field: "taskId / batchId",
      input: "a task of another agent instance",
      code: "unknown",
      args: OTHER
    }
  ]
};

// ── waitFor() ────────────────────────────────────────────────────────────────

const wait = { mode: "all", timeoutMs: 0 };

export const WAIT_FOR: Surface<[unknown, unknown]> = {
  surface: "waitFor()",
  cases: [
    { field: "taskIds", input: "a string", code: "invalid_input", args: ["task_1", wait] },
    { field: "taskIds", input: "empty", code: "invalid_input", args: [[], wait] },
    {
      field: "taskIds",
      input: "1001 ids",
      code: "limit_exceeded",
      args: [Array.from({ length: 1001 }, (_, i) => `t${i}`), wait]
    },
    { field: "taskIds", input: "[a number]", code: "invalid_input", args: [[42], wait] },
    { field: "taskIds", input: "[1 MiB]", code: "invalid_input", args: [[MIB], wait] },
    { field: "taskIds", input: '["__proto__"]', code: "unknown_task", args: [["__proto__"], wait] },
    {
      field: "taskIds",
      input: "[a task of another agent instance]",
      code: "unknown_task",
      args: [[OTHER], wait]
    },
    { field: "options", input: "null", code: "invalid_input", args: [[OTHER], null] },
    {
      field: "mode",
      input: "missing",
      code: "invalid_input",
      args: [[OTHER], { timeoutMs: 0 }]
    },
    {
      field: "mode",
      input: '"some"',
      code: "invalid_input",
      args: [[OTHER], { ...wait, mode: "some" }]
    },
    {
      field: "timeoutMs",
      input: "NaN",
      code: "invalid_input",
      args: [[OTHER], { ...wait, timeoutMs: Number.NaN }]
    },
    {
      field: "timeoutMs",
      input: "Infinity",
      code: "invalid_input",
      args: [[OTHER], { ...wait, timeoutMs: Number.POSITIVE_INFINITY }]
    },
    {
      field: "timeoutMs",
      input: "-1",
      code: "invalid_input",
      args: [[OTHER], { ...wait, timeoutMs: -1 }]
    },
    {
      field: "timeoutMs",
      input: "600001 (over 10 min)",
      code: "invalid_input",
      args: [[OTHER], { ...wait, timeoutMs: 600_001 }]
    },
    {
      field: "timeoutMs",
      input: '"10"',
      code: "invalid_input",
      args: [[OTHER], { ...wait, timeoutMs: "10" }]
    }
  ]
};

// ── list() ───────────────────────────────────────────────────────────────────

export const LIST: Surface<unknown> = {
  surface: "list()",
  cases: [
    { field: "options", input: "a string", code: "invalid_input", args: "all" },
    { field: "options", input: "null", code: "invalid_input", args: null },
    { field: "limit", input: "0", code: "invalid_input", args: { limit: 0 } },
    { field: "limit", input: "201", code: "invalid_input", args: { limit: 201 } },
    { field: "limit", input: "1.5", code: "invalid_input", args: { limit: 1.5 } },
    { field: "limit", input: "NaN", code: "invalid_input", args: { limit: Number.NaN } },
    {
      field: "limit",
      input: "Infinity",
      code: "invalid_input",
      args: { limit: Number.POSITIVE_INFINITY }
    },
    { field: "limit", input: '"10"', code: "invalid_input", args: { limit: "10" } },
    { field: "status", input: "unknown", code: "invalid_input", args: { status: "exploded" } },
    { field: "status", input: '"__proto__"', code: "invalid_input", args: { status: "__proto__" } },
    { field: "status", input: "empty list", code: "invalid_input", args: { status: [] } },
    {
      field: "status",
      input: "a list with one unknown",
      code: "invalid_input",
      args: { status: ["running", "nope"] }
    },
    { field: "cursor", input: "not a cursor", code: "invalid_input", args: { cursor: "nope" } },
    { field: "cursor", input: "a number", code: "invalid_input", args: { cursor: 5 } },
    { field: "cursor", input: "1 MiB", code: "invalid_input", args: { cursor: MIB } },
    {
      field: "cursor",
      input: "well-formed, wrong shape",
      code: "invalid_input",
      args: { cursor: btoa("[1]") }
    },
    {
      field: "cursor",
      input: "a time of 1e999",
      code: "invalid_input",
      args: { cursor: btoa('[1e999,"task_1"]') }
    }
  ]
};

// ── Class options (backgroundOptions) ────────────────────────────────────────

export const CLASS_OPTIONS: Surface<unknown> = {
  surface: "static backgroundOptions",
  cases: [
    { field: "backgroundOptions", input: "null", code: "invalid_option", args: null },
    { field: "backgroundOptions", input: "an array", code: "invalid_option", args: [] },
    {
      field: "__proto__",
      input: "an own `__proto__` key",
      code: "invalid_option",
      args: withProto('{"__proto__": 1}')
    },
    {
      field: "constructor",
      input: "`constructor`",
      code: "invalid_option",
      args: { constructor: 1 }
    },
    { field: "toString", input: "`toString`", code: "invalid_option", args: { toString: 1 } },
    {
      field: "noSuchOption",
      input: "an unknown option",
      code: "invalid_option",
      args: { noSuchOption: 1 }
    },
    { field: "maxAttempts", input: "0", code: "invalid_option", args: { maxAttempts: 0 } },
    { field: "maxAttempts", input: "21", code: "invalid_option", args: { maxAttempts: 21 } },
    { field: "maxAttempts", input: "2.5", code: "invalid_option", args: { maxAttempts: 2.5 } },
    { field: "rerun", input: "unknown", code: "invalid_option", args: { rerun: "sometimes" } },
    { field: "rerun", input: "a number", code: "invalid_option", args: { rerun: 1 } },
    {
      field: "deliveryTimeoutMs",
      input: "not below deliveryLeaseMs",
      code: "invalid_option",
      args: { deliveryTimeoutMs: 30_000, deliveryLeaseMs: 30_000 }
    },
    {
      field: "deliveryTimeoutMs",
      input: "NaN",
      code: "invalid_option",
      args: { deliveryTimeoutMs: Number.NaN }
    },
    {
      field: "maxDeliveryAttempts",
      input: "0",
      code: "invalid_option",
      args: { maxDeliveryAttempts: 0 }
    },
    {
      field: "deliveryRetryMs",
      input: "over 5 minutes",
      code: "invalid_option",
      args: { deliveryRetryMs: 300_001 }
    },
    {
      field: "maxNoticesPerTurn",
      input: "0",
      code: "invalid_option",
      args: { maxNoticesPerTurn: 0 }
    },
    {
      field: "maxStartMany",
      input: "-1",
      code: "invalid_option",
      args: { maxStartMany: -1 }
    },
    { field: "retainEndedMs", input: "-1", code: "invalid_option", args: { retainEndedMs: -1 } },
    {
      field: "retainEndedMs",
      input: "NaN",
      code: "invalid_option",
      args: { retainEndedMs: Number.NaN }
    },
    {
      field: "retainEndedMs",
      input: 'Infinity (say "forever")',
      code: "invalid_option",
      args: { retainEndedMs: Number.POSITIVE_INFINITY }
    },
    {
      field: "retainEndedMs",
      input: "over a year",
      code: "invalid_option",
      args: { retainEndedMs: 366 * DAY }
    },
    {
      field: "retainEndedMs",
      input: '"never" (not its keyword)',
      code: "invalid_option",
      args: { retainEndedMs: "never" }
    },
    {
      field: "maxEndedTasks",
      input: '"forever" (its keyword is "unlimited")',
      code: "invalid_option",
      args: { maxEndedTasks: "forever" }
    },
    { field: "maxEndedTasks", input: "2.5", code: "invalid_option", args: { maxEndedTasks: 2.5 } },
    {
      field: "idempotencyWindowMs",
      input: "0",
      code: "invalid_option",
      args: { idempotencyWindowMs: 0 }
    },
    {
      field: "maxPrunedSummaries",
      input: "-1",
      code: "invalid_option",
      args: { maxPrunedSummaries: -1 }
    },
    {
      field: "maxConcurrentTasks",
      input: "0",
      code: "invalid_option",
      args: { maxConcurrentTasks: 0 }
    },
    {
      field: "maxConcurrentTasks",
      input: "1.5",
      code: "invalid_option",
      args: { maxConcurrentTasks: 1.5 }
    },
    {
      field: "maxConcurrentTasks",
      input: '"5"',
      code: "invalid_option",
      args: { maxConcurrentTasks: "5" }
    },
    {
      field: "maxConcurrentTasks",
      input: "1e9",
      code: "invalid_option",
      args: { maxConcurrentTasks: 1e9 }
    },
    { field: "budgetMs", input: "-1", code: "invalid_option", args: { budgetMs: -1 } },
    { field: "budgetMs", input: "NaN", code: "invalid_option", args: { budgetMs: Number.NaN } },
    {
      field: "nullTolerance",
      input: "Infinity",
      code: "invalid_option",
      args: { nullTolerance: Number.POSITIVE_INFINITY }
    },
    {
      field: "pollMinMs",
      input: "10 (under 1 s)",
      code: "invalid_option",
      args: { pollMinMs: 10 }
    },
    {
      field: "pollMaxMs",
      input: "below pollMinMs",
      code: "invalid_option",
      args: { pollMinMs: 5000, pollMaxMs: 2000 }
    },
    { field: "pollFactor", input: "0.5", code: "invalid_option", args: { pollFactor: 0.5 } },
    { field: "source", input: "empty", code: "invalid_option", args: { source: "" } },
    {
      field: "source",
      input: "65 characters",
      code: "invalid_option",
      args: { source: "s".repeat(65) }
    },
    { field: "source", input: "a number", code: "invalid_option", args: { source: 1 } }
  ]
};

// ── Tool set options (backgroundTools) ───────────────────────────────────────

/** `args` receives a chat agent class to put in the options. */
export const TOOL_SET_OPTIONS: Surface<(Child: object) => unknown> = {
  surface: "backgroundTools(this, options)",
  cases: [
    { field: "agents", input: "missing", code: "invalid_option", args: () => ({}) },
    { field: "agents", input: "empty", code: "invalid_option", args: () => ({ agents: {} }) },
    {
      field: "agents.Bad Name",
      input: "a name with capitals and a space",
      code: "invalid_option",
      args: (Child) => ({ agents: { "Bad Name": { agent: Child, description: "d" } } })
    },
    {
      field: "agents.__proto__",
      input: "an own `__proto__` name",
      code: "invalid_option",
      args: (Child) => {
        const agents: Record<string, unknown> = {};
        Object.defineProperty(agents, "__proto__", {
          value: { agent: Child, description: "d" },
          enumerable: true
        });
        return { agents };
      }
    },
    {
      field: "agents.worker",
      input: "an agent that is not a class",
      code: "invalid_option",
      args: () => ({ agents: { worker: { agent: "Worker", description: "d" } } })
    },
    {
      field: "agents.worker",
      input: "an empty description",
      code: "invalid_option",
      args: (Child) => ({ agents: { worker: { agent: Child, description: "" } } })
    },
    {
      field: "names.nope",
      input: "renaming a tool that does not exist",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        names: { nope: "x" }
      })
    },
    {
      field: "names.spawn",
      input: "a name with spaces",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        names: { spawn: "start a job" }
      })
    },
    {
      field: "names",
      input: "two tools with one name",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        names: { spawn: "list_background_tasks" }
      })
    },
    {
      field: "maxWaitMs",
      input: "-1",
      code: "invalid_option",
      args: (Child) => ({ agents: { worker: { agent: Child, description: "d" } }, maxWaitMs: -1 })
    },
    {
      field: "maxWaitMs",
      input: "NaN",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        maxWaitMs: Number.NaN
      })
    },
    {
      field: "maxWaitMs",
      input: "600001",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        maxWaitMs: 600_001
      })
    },
    {
      field: "outputPageChars",
      input: "99",
      code: "invalid_option",
      args: (Child) => ({
        agents: { worker: { agent: Child, description: "d" } },
        outputPageChars: 99
      })
    },
    {
      field: "maxWaitTasks",
      input: "0",
      code: "invalid_option",
      args: (Child) => ({ agents: { worker: { agent: Child, description: "d" } }, maxWaitTasks: 0 })
    }
  ]
};

// ── The model's tools ────────────────────────────────────────────────────────
// `code` is the envelope's error code; "schema" means the AI SDK refused the
// call against the tool's input schema, in an error that names the field.

type ToolInput = Record<string, unknown>;
const spawnOk = { agent: "worker", task: "x" };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `task_${i}`);

export const TOOLS: Surface<ToolInput>[] = [
  {
    surface: "spawn_background_task",
    cases: [
      {
        field: "agent",
        input: "not allowed",
        code: "unknown_agent",
        args: { ...spawnOk, agent: "hacker" }
      },
      {
        field: "agent",
        input: '"__proto__"',
        code: "unknown_agent",
        args: { ...spawnOk, agent: "__proto__" }
      },
      {
        field: "agent",
        input: '"constructor"',
        code: "unknown_agent",
        args: { ...spawnOk, agent: "constructor" }
      },
      { field: "agent", input: "1 MiB", code: "unknown_agent", args: { ...spawnOk, agent: MIB } },
      { field: "agent", input: "a number", code: "schema", args: { ...spawnOk, agent: 42 } },
      { field: "task", input: "empty", code: "empty_task", args: { ...spawnOk, task: "" } },
      { field: "task", input: "blank", code: "empty_task", args: { ...spawnOk, task: "  \n " } },
      {
        field: "task",
        input: "20001 characters",
        code: "invalid_input",
        args: { ...spawnOk, task: "t".repeat(20_001) }
      },
      { field: "task", input: "a number", code: "schema", args: { ...spawnOk, task: 42 } },
      {
        field: "budget",
        input: "an unknown field",
        code: "invalid_input",
        args: { ...spawnOk, budget: 60 }
      },
      {
        field: "budget_seconds",
        input: "0",
        code: "invalid_input",
        args: { ...spawnOk, budget_seconds: 0 }
      },
      {
        field: "budget_seconds",
        input: "over 7 days",
        code: "invalid_input",
        args: { ...spawnOk, budget_seconds: 604_801 }
      },
      {
        field: "budget_seconds",
        input: '"60"',
        code: "schema",
        args: { ...spawnOk, budget_seconds: "60" }
      },
      {
        field: "expected_output",
        input: "20001 characters",
        code: "invalid_input",
        args: { ...spawnOk, expected_output: "e".repeat(20_001) }
      },
      {
        field: "idempotency_key",
        input: "empty",
        code: "invalid_input",
        args: { ...spawnOk, idempotency_key: "" }
      },
      {
        field: "idempotency_key",
        input: "201 characters",
        code: "invalid_input",
        args: { ...spawnOk, idempotency_key: "k".repeat(201) }
      },
      {
        field: "delivery",
        input: "unknown",
        code: "unknown_delivery_policy",
        args: { ...spawnOk, delivery: "shout" }
      },
      {
        field: "delivery",
        input: '"__proto__"',
        code: "unknown_delivery_policy",
        args: { ...spawnOk, delivery: "__proto__" }
      },
      {
        field: "after",
        input: "[an unknown task]",
        code: "unknown_task",
        args: { ...spawnOk, after: ["task_nope"] }
      },
      {
        field: "after",
        input: "[a task of another agent instance]",
        code: "unknown_task",
        args: { ...spawnOk, after: [OTHER] }
      },
      {
        field: "after",
        input: "[an id of 129 characters]",
        code: "invalid_input",
        args: { ...spawnOk, after: ["t".repeat(129)] }
      },
      {
        field: "after",
        input: "21 tasks",
        code: "limit_exceeded",
        args: { ...spawnOk, after: ids(21) }
      },
      { field: "after", input: "a string", code: "schema", args: { ...spawnOk, after: "task_1" } }
    ]
  },
  {
    surface: "schedule_background_task",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: { agent: "worker", task: "x", delay_seconds: 60, priority: "high" }
      },
      {
        field: "run_at",
        input: "not a time",
        code: "invalid_run_at",
        args: { ...spawnOk, run_at: "tomorrow-ish" }
      },
      {
        field: "run_at",
        input: "in the past",
        code: "invalid_run_at",
        args: { ...spawnOk, run_at: "2001-01-01T00:00:00Z" }
      },
      {
        field: "run_at",
        input: "year 3000",
        code: "invalid_run_at",
        args: { ...spawnOk, run_at: "3000-01-01T00:00:00Z" }
      },
      {
        field: "run_at",
        input: "1 MiB",
        code: "invalid_run_at",
        args: { ...spawnOk, run_at: MIB }
      },
      {
        field: "run_at / delay_seconds",
        input: "both",
        code: "invalid_run_at",
        args: { ...spawnOk, run_at: "2030-01-01T00:00:00Z", delay_seconds: 5 }
      },
      { field: "run_at / delay_seconds", input: "neither", code: "invalid_run_at", args: spawnOk },
      {
        field: "delay_seconds",
        input: "0",
        code: "invalid_run_at",
        args: { ...spawnOk, delay_seconds: 0 }
      },
      {
        field: "delay_seconds",
        input: "-5",
        code: "invalid_run_at",
        args: { ...spawnOk, delay_seconds: -5 }
      },
      {
        field: "delay_seconds",
        input: "1e308",
        code: "invalid_run_at",
        args: { ...spawnOk, delay_seconds: 1e308 }
      },
      {
        field: "delay_seconds",
        input: '"10"',
        code: "schema",
        args: { ...spawnOk, delay_seconds: "10" }
      },
      {
        field: "task",
        input: "empty",
        code: "empty_task",
        args: { ...spawnOk, task: "", delay_seconds: 5 }
      },
      {
        field: "agent",
        input: "not allowed",
        code: "unknown_agent",
        args: { ...spawnOk, agent: "root", delay_seconds: 5 }
      }
    ]
  },
  {
    surface: "check_background_task",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: { task_id: "task_x", priority: "high" }
      },
      { field: "task_id", input: "empty", code: "invalid_input", args: { task_id: "" } },
      {
        field: "task_id",
        input: "129 characters",
        code: "invalid_input",
        args: { task_id: "t".repeat(129) }
      },
      {
        field: "task_id",
        input: '"__proto__"',
        code: "unknown_task",
        args: { task_id: "__proto__" }
      },
      {
        field: "task_id",
        input: "a task of another agent instance",
        code: "unknown_task",
        args: { task_id: OTHER }
      },
      { field: "task_id", input: "a number", code: "schema", args: { task_id: 42 } },
      {
        field: "timeout_ms",
        input: "-1",
        code: "invalid_input",
        args: { task_id: OTHER, wait: true, timeout_ms: -1 }
      },
      {
        field: "timeout_ms",
        input: "over the cap",
        code: "timeout_over_cap",
        args: { task_id: OTHER, wait: true, timeout_ms: 30_001 }
      },
      { field: "offset", input: "-1", code: "invalid_input", args: { task_id: OTHER, offset: -1 } },
      {
        field: "offset",
        input: "1.5",
        code: "invalid_input",
        args: { task_id: OTHER, offset: 1.5 }
      }
    ]
  },
  {
    surface: "wait_background_tasks",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: { task_ids: ["task_x"], timeout_ms: 0, priority: "high" }
      },
      {
        field: "task_ids",
        input: "empty",
        code: "invalid_input",
        args: { task_ids: [], timeout_ms: 0 }
      },
      {
        field: "task_ids",
        input: "51 ids (cap 50)",
        code: "invalid_input",
        args: { task_ids: ids(51), timeout_ms: 0 }
      },
      {
        field: "task_ids",
        input: "[an empty id]",
        code: "invalid_input",
        args: { task_ids: [""], timeout_ms: 0 }
      },
      {
        field: "task_ids",
        input: "[a task of another agent instance]",
        code: "unknown_task",
        args: { task_ids: [OTHER], timeout_ms: 0 }
      },
      {
        field: "task_ids",
        input: "a string",
        code: "schema",
        args: { task_ids: "t", timeout_ms: 0 }
      },
      {
        field: "mode",
        input: '"some"',
        code: "invalid_input",
        args: { task_ids: [OTHER], mode: "some", timeout_ms: 0 }
      },
      {
        field: "timeout_ms",
        input: "-1",
        code: "invalid_input",
        args: { task_ids: [OTHER], timeout_ms: -1 }
      },
      {
        field: "timeout_ms",
        input: "over the cap",
        code: "timeout_over_cap",
        args: { task_ids: [OTHER], timeout_ms: 30_001 }
      }
    ]
  },
  {
    surface: "cancel_background_task",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: { task_id: "task_x", priority: "high" }
      },
      { field: "task_id", input: "empty", code: "invalid_input", args: { task_id: "" } },
      { field: "task_id", input: "1 MiB", code: "invalid_input", args: { task_id: MIB } },
      {
        field: "task_id",
        input: '"__proto__"',
        code: "unknown_task",
        args: { task_id: "__proto__" }
      },
      {
        field: "task_id",
        input: "a task of another agent instance",
        code: "unknown_task",
        args: { task_id: OTHER }
      }
    ]
  },
  {
    surface: "list_background_tasks",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: { priority: "high" }
      },
      { field: "status", input: "unknown", code: "invalid_input", args: { status: "exploded" } },
      {
        field: "status",
        input: '"__proto__"',
        code: "invalid_input",
        args: { status: "__proto__" }
      },
      { field: "limit", input: "0", code: "invalid_input", args: { limit: 0 } },
      { field: "limit", input: "51", code: "invalid_input", args: { limit: 51 } },
      { field: "limit", input: "1.5", code: "invalid_input", args: { limit: 1.5 } },
      { field: "limit", input: '"5"', code: "schema", args: { limit: "5" } }
    ]
  },
  {
    surface: "batch_background_tasks",
    cases: [
      {
        field: "priority",
        input: "an unknown field",
        code: "invalid_input",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 1,
          delivery: "each",
          priority: "high"
        }
      },
      {
        field: "agent",
        input: "not allowed",
        code: "unknown_agent",
        args: {
          agent: "hacker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "items",
        input: "empty",
        code: "empty_task",
        args: { agent: "worker", items: [], instructions: "i", max_concurrency: 1, delivery: "all" }
      },
      {
        field: "items",
        input: "6 items (limit 5)",
        code: "too_many_items",
        args: {
          agent: "worker",
          items: ["1", "2", "3", "4", "5", "6"],
          instructions: "i",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "items[0]",
        input: "blank",
        code: "empty_task",
        args: {
          agent: "worker",
          items: [" "],
          instructions: "i",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "items[0]",
        input: "20001 characters",
        code: "invalid_input",
        args: {
          agent: "worker",
          items: ["t".repeat(20_001)],
          instructions: "i",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "items",
        input: "a string",
        code: "schema",
        args: {
          agent: "worker",
          items: "a",
          instructions: "i",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "instructions",
        input: "empty",
        code: "empty_task",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "",
          max_concurrency: 1,
          delivery: "all"
        }
      },
      {
        field: "max_concurrency",
        input: "0",
        code: "invalid_input",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 0,
          delivery: "all"
        }
      },
      {
        field: "max_concurrency",
        input: "1.5",
        code: "invalid_input",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 1.5,
          delivery: "all"
        }
      },
      {
        field: "max_concurrency",
        input: "1e9",
        code: "invalid_input",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 1e9,
          delivery: "all"
        }
      },
      {
        field: "delivery",
        input: '"some"',
        code: "unknown_delivery_policy",
        args: {
          agent: "worker",
          items: ["a"],
          instructions: "i",
          max_concurrency: 1,
          delivery: "some"
        }
      }
    ]
  }
];

// ── The board's HTTP API (authorized requests) ───────────────────────────────

export type BoardRequest = { method: "GET" | "POST"; path: string; board?: boolean };

export const BOARD: Surface<BoardRequest> = {
  surface: "board API (…/background)",
  cases: [
    {
      field: "status",
      input: "GET /tasks?status=exploded",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?status=exploded" }
    },
    {
      field: "status",
      input: "GET /tasks?status=__proto__",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?status=__proto__" }
    },
    {
      field: "limit",
      input: "GET /tasks?limit=0",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?limit=0" }
    },
    {
      field: "limit",
      input: "GET /tasks?limit=abc",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?limit=abc" }
    },
    {
      field: "limit",
      input: "GET /tasks?limit=1e999",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?limit=1e999" }
    },
    {
      field: "cursor",
      input: "GET /tasks?cursor=garbage",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks?cursor=garbage" }
    },
    {
      field: "taskId",
      input: "GET /tasks/<129 characters>",
      code: "400 invalid_input",
      args: { method: "GET", path: `/tasks/${"t".repeat(129)}` }
    },
    {
      field: "taskId",
      input: "GET /tasks/%E0%A4%A (bad encoding)",
      code: "400 invalid_input",
      args: { method: "GET", path: "/tasks/%E0%A4%A" }
    },
    {
      field: "taskId",
      input: "GET /tasks/__proto__",
      code: "404 not_found",
      args: { method: "GET", path: "/tasks/__proto__" }
    },
    {
      field: "taskId",
      input: "GET /tasks/<another instance's task>",
      code: "404 not_found",
      args: { method: "GET", path: `/tasks/${OTHER}` }
    },
    {
      field: "taskId",
      input: "GET /tasks/<another instance's task>/transcript",
      code: "404 not_found",
      args: { method: "GET", path: `/tasks/${OTHER}/transcript` }
    },
    {
      field: "taskId",
      input: "POST /tasks/<another instance's task>/cancel",
      code: "404 not_found",
      args: { method: "POST", path: `/tasks/${OTHER}/cancel`, board: true }
    },
    {
      field: "x-background-board",
      input: "POST /tasks/<own task>/cancel without the header",
      code: "403 forbidden",
      args: { method: "POST", path: "/tasks/$OWN_TASK/cancel" }
    },
    {
      field: "x-background-board",
      input: "POST /tasks/<own task>/forget without the header",
      code: "403 forbidden",
      args: { method: "POST", path: "/tasks/$OWN_TASK/forget" }
    },
    {
      field: "x-background-board",
      input: "POST /tasks/<own task>/retry-delivery without the header",
      code: "403 forbidden",
      args: { method: "POST", path: "/tasks/$OWN_TASK/retry-delivery" }
    },
    {
      field: "x-background-board",
      input: "POST /prune without the header",
      code: "403 forbidden",
      args: { method: "POST", path: `/prune?olderThan=1` }
    },
    {
      field: "olderThan",
      input: "POST /prune without olderThan",
      code: "400 invalid_input",
      args: { method: "POST", path: "/prune", board: true }
    },
    {
      field: "olderThan",
      input: "POST /prune?olderThan=<next year>",
      code: "400 invalid_input",
      args: { method: "POST", path: `/prune?olderThan=${Date.UTC(2100, 0, 1)}`, board: true }
    },
    {
      field: "taskId",
      input: "POST /tasks/<another instance's task>/forget",
      code: "404 not_found",
      args: { method: "POST", path: `/tasks/${OTHER}/forget`, board: true }
    },
    {
      field: "route",
      input: "GET /nothing-here",
      code: "404 not_found",
      args: { method: "GET", path: "/nothing-here" }
    }
  ]
};

// ── prune() ──────────────────────────────────────────────────────────────────

export const PRUNE: Surface<unknown> = {
  surface: "prune()",
  cases: [
    { field: "options", input: "null", code: "invalid_input", args: null },
    { field: "olderThan", input: "missing", code: "invalid_input", args: {} },
    { field: "olderThan", input: "a string", code: "invalid_input", args: { olderThan: "soon" } },
    { field: "olderThan", input: "NaN", code: "invalid_input", args: { olderThan: Number.NaN } },
    { field: "olderThan", input: "negative", code: "invalid_input", args: { olderThan: -1 } },
    {
      field: "olderThan",
      input: "in the future",
      code: "invalid_input",
      args: { olderThan: Date.UTC(2100, 0, 1) }
    },
    {
      field: "olderThan",
      input: "an invalid Date",
      code: "invalid_input",
      args: { olderThan: new Date(Number.NaN) }
    }
  ]
};

/** Every surface, in the order the docs list them. */
export const ALL_SURFACES: Surface<unknown>[] = [
  START,
  START_MANY,
  START_BATCH,
  IDS,
  WAIT_FOR as Surface<unknown>,
  LIST,
  PRUNE,
  CLASS_OPTIONS,
  TOOL_SET_OPTIONS as Surface<unknown>,
  ...(TOOLS as Surface<unknown>[]),
  BOARD as Surface<unknown>
];

/** Code spans keep markdown from reading `__proto__` as emphasis. */
function code(text: string): string {
  return text.includes("`") ? text : `\`${text}\``;
}

/** The docs' table rows: what is called, the field, the input, the answer. */
export function catalogueRows(): string[][] {
  return ALL_SURFACES.flatMap((s) =>
    s.cases.map((c) => [
      s.surface,
      code(c.field),
      c.input.includes("_") ? code(c.input) : c.input,
      c.code === "unknown" ? UNKNOWN_ANSWER : code(c.code)
    ])
  );
}

/** What a lookup answers for a well-formed id it does not know. */
export const UNKNOWN_ANSWER =
  "`null` (cancel, forget: `not-found`; retryDelivery: 0 requeued), no error";
