// The bad-input catalogue: boundary and hostile values for every field of
// start(), list() and the board API. Each refused input gets its coded error
// (naming the field) and changes nothing; each accepted one is stored as given.
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import { parent, started, taskOf, testEnv, uniqueName } from "./helpers";

type Case = { name: string; options: unknown; code: string; field: string };

const DAY = 24 * 60 * 60 * 1000;
const huge = "x".repeat(2 * 1024 * 1024);

const START_CASES: Case[] = [
  { name: "no input", options: { title: "x" }, code: "invalid_input", field: "input" },
  { name: "options not an object", options: "go", code: "invalid_input", field: "options" },
  { name: "huge input (2 MiB)", options: { input: huge }, code: "limit_exceeded", field: "input" },
  {
    name: "input that is not JSON (a BigInt)",
    options: { input: { n: 10n } },
    code: "invalid_input",
    field: "input"
  },
  {
    name: "empty title",
    options: { input: "x", title: "" },
    code: "invalid_input",
    field: "title"
  },
  {
    name: "blank title",
    options: { input: "x", title: " \n\t " },
    code: "invalid_input",
    field: "title"
  },
  {
    name: "title of 201 characters",
    options: { input: "x", title: "t".repeat(201) },
    code: "invalid_input",
    field: "title"
  },
  {
    name: "title not a string",
    options: { input: "x", title: 42 },
    code: "invalid_input",
    field: "title"
  },
  {
    name: "empty idempotency key",
    options: { input: "x", idempotencyKey: "" },
    code: "invalid_input",
    field: "idempotencyKey"
  },
  {
    name: "idempotency key of 257 characters",
    options: { input: "x", idempotencyKey: "k".repeat(257) },
    code: "invalid_input",
    field: "idempotencyKey"
  },
  {
    name: "idempotency key not a string",
    options: { input: "x", idempotencyKey: 7 },
    code: "invalid_input",
    field: "idempotencyKey"
  },
  {
    name: "budget 0",
    options: { input: "x", budgetMs: 0 },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "budget negative",
    options: { input: "x", budgetMs: -1 },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "budget NaN",
    options: { input: "x", budgetMs: Number.NaN },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "budget Infinity",
    options: { input: "x", budgetMs: Number.POSITIVE_INFINITY },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "budget as a string",
    options: { input: "x", budgetMs: "1000" },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "budget over 7 days",
    options: { input: "x", budgetMs: 7 * DAY + 1 },
    code: "invalid_input",
    field: "budgetMs"
  },
  {
    name: "runAt in the past",
    options: { input: "x", runAt: new Date("2001-01-01") },
    code: "invalid_input",
    field: "runAt"
  },
  {
    name: "runAt far in the future (year 3000)",
    options: { input: "x", runAt: new Date("3000-01-01") },
    code: "invalid_input",
    field: "runAt"
  },
  {
    name: "runAt an invalid Date",
    options: { input: "x", runAt: new Date("nope") },
    code: "invalid_input",
    field: "runAt"
  },
  {
    name: "runAt a string",
    options: { input: "x", runAt: "2030-01-01" },
    code: "invalid_input",
    field: "runAt"
  },
  {
    name: "runAt NaN",
    options: { input: "x", runAt: Number.NaN },
    code: "invalid_input",
    field: "runAt"
  },
  {
    name: "after not an array",
    options: { input: "x", after: "task_1" },
    code: "invalid_input",
    field: "after"
  },
  {
    name: "after with an empty id",
    options: { input: "x", after: [""] },
    code: "invalid_input",
    field: "after"
  },
  {
    name: "after naming an unknown task",
    options: { input: "x", after: ["task_00000000000000000000000000000000"] },
    code: "unknown_task",
    field: "after"
  },
  {
    name: "after naming 21 tasks",
    options: { input: "x", after: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    code: "limit_exceeded",
    field: "after"
  },
  {
    name: "unknown delivery policy",
    options: { input: "x", delivery: "loud" },
    code: "invalid_input",
    field: "delivery"
  },
  {
    name: "delivery of the wrong shape",
    options: { input: "x", delivery: { onFinish: 5 } },
    code: "invalid_input",
    field: "delivery"
  },
  {
    name: "onFinish naming an SDK method",
    options: { input: "x", delivery: { onFinish: "destroy" } },
    code: "invalid_input",
    field: "delivery.onFinish"
  },
  {
    name: "onFinish naming __proto__",
    options: { input: "x", delivery: { onFinish: "__proto__" } },
    code: "invalid_input",
    field: "delivery.onFinish"
  },
  {
    name: "empty source",
    options: { input: "x", metadata: { source: "" } },
    code: "invalid_input",
    field: "metadata.source"
  },
  {
    name: "source of 65 characters",
    options: { input: "x", metadata: { source: "s".repeat(65) } },
    code: "invalid_input",
    field: "metadata.source"
  }
];

describe("bad-input catalogue: start()", () => {
  it.each(START_CASES)("$name → $code ($field)", async ({ options, code, field }) => {
    const p = await parent();
    const result = (await p.startWith("Worker", options)) as {
      error?: { code: string; field?: string; message: string };
    };
    expect(result.error?.code).toBe(code);
    expect(result.error?.field).toBe(field);
    expect(result.error?.message).toContain(field);
    expect(await p.taskCount()).toBe(0);
    expect(await p.sdkRuns()).toHaveLength(0);
  });

  it("a task id of another agent instance is unknown here", async () => {
    const other = await parent();
    const theirs = started(await other.startTask("Worker", { task: uniqueName("theirs") }));
    const mine = await parent();
    const result = (await mine.startWith("Worker", { input: "x", after: [theirs.taskId] })) as {
      error?: { code: string };
    };
    expect(result.error?.code).toBe("unknown_task");
    expect(await mine.getTask(theirs.taskId)).toBeNull();
    expect(await mine.cancelTask(theirs.taskId)).toEqual({
      outcome: "not-found",
      taskId: theirs.taskId
    });
    expect(await mine.taskCount()).toBe(0);
  });

  it("accepts odd but valid values and stores them as given", async () => {
    const p = await parent();
    const title = "Ünïcødé ✓ 🚀 עברית \u200b zero-width";
    const input = JSON.parse('{"__proto__": {"polluted": true}, "task": "proto"}') as unknown;
    const r = started(
      await p.startTask("Worker", input as { task: string }, {
        title,
        idempotencyKey: "k".repeat(256),
        budgetMs: 1
      })
    );
    const task = await taskOf(p, r.taskId);
    expect(task?.title).toBe(title);
    expect(task?.budgetMs).toBe(1);
    expect(JSON.stringify(task?.input)).toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("bad-input catalogue: list() and the board API", () => {
  it.each([
    [{ limit: 0 }, "limit"],
    [{ limit: 201 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ limit: Number.NaN }, "limit"],
    [{ status: "exploded" }, "status"],
    [{ status: ["running", "nope"] }, "status"],
    [{ cursor: "not-a-cursor" }, "cursor"],
    [{ cursor: btoa("[1]") }, "cursor"]
  ])("list(%j) → invalid_input (%s)", async (options, field) => {
    const p = await parent();
    const result = (await p.listTasks(options as never)) as {
      error?: { code: string; field?: string };
    };
    expect(result.error).toMatchObject({ code: "invalid_input", field });
  });

  it("a limited parent refuses past its own limits", async () => {
    const p = await getAgentByName(testEnv.LimitedParent, uniqueName("lim"));
    const big = (await p.startTask("Worker", { task: "y".repeat(1100) })) as {
      error?: { code: string };
    };
    expect(big.error?.code).toBe("limit_exceeded");
    expect(await p.taskCount()).toBe(0);
  });
});
