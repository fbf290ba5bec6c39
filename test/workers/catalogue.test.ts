// The bad-input catalogue (test/catalogue/cases.ts), run against real agents:
// every public method, the model's tools through real turns, and the board's
// HTTP API. Each refused input gets its coded error naming the field, and the
// agent's stored state (tasks, batches, notices, jobs, SDK runs) is the same
// before and after.
import { exports } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BOARD,
  type Case,
  IDS,
  LIST,
  OTHER,
  PRUNE,
  START,
  START_BATCH,
  START_MANY,
  TOOLS,
  WAIT_FOR
} from "../catalogue/cases";
import type { ErrorEnvelope } from "../worker/index";
import { parent, runTools, started, taskOf, testEnv, toolParent, uniqueName } from "./helpers";

/** `value` with every `OTHER` (and `$OWN_TASK`) string replaced by a real id. */
function fill<T>(value: T, ids: Record<string, string>): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return Object.entries(ids).reduce((text, [token, id]) => text.split(token).join(id), v);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      if (seen.has(v)) return v;
      seen.add(v);
      // Own keys only, and defined as data: a "__proto__" key stays a key.
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(v)) {
        Object.defineProperty(out, key, { value: walk(inner), enumerable: true, writable: true });
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

function isError(result: unknown): result is ErrorEnvelope {
  return typeof result === "object" && result !== null && "error" in result;
}

/** A task due in an hour: stored, with the backbone's job armed, and quiet until then. */
async function scheduledTask(p: Awaited<ReturnType<typeof parent>>) {
  return started(
    await p.startTask("Worker", { task: uniqueName("later") }, { runAt: Date.now() + 3_600_000 })
  );
}

/** A task on another agent instance: its id must be unknown everywhere else. */
async function otherInstanceTask(): Promise<string> {
  const other = await parent();
  return started(await other.startTask("Worker", { task: uniqueName("theirs"), delayMs: 50 }))
    .taskId;
}

describe("bad-input catalogue: engine methods", () => {
  let other = "";
  beforeAll(async () => {
    other = await otherInstanceTask();
  });

  it.each(START.cases)("start() $field: $input → $code", async (c: Case<unknown>) => {
    const p = await parent();
    const before = await p.storedState();
    const result = await p.startWith("Worker", fill(c.args, { [OTHER]: other }));
    if (!isError(result)) throw new Error(`accepted: ${JSON.stringify(result)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
    expect(result.error.message).toContain(c.field);
    expect(await p.storedState()).toBe(before);
  });

  it.each(START_MANY.cases)("startMany() $field: $input → $code", async (c: Case<unknown>) => {
    const p = await parent();
    const before = await p.storedState();
    const result = await p.callEngine("startMany", [c.args]);
    if (!isError(result)) throw new Error(`accepted: ${result.json.slice(0, 200)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
    expect(result.error.message).toContain(c.field);
    expect(await p.storedState()).toBe(before);
  });

  it.each(START_BATCH.cases)("startBatch() $field: $input → $code", async (c: Case<unknown>) => {
    const p = await parent();
    const before = await p.storedState();
    const result = await p.callEngine("startBatch", [c.args]);
    if (!isError(result)) throw new Error(`accepted: ${result.json.slice(0, 200)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
    expect(result.error.message).toContain(c.field);
    expect(await p.storedState()).toBe(before);
  });

  describe("lookups by id", () => {
    const methods = [
      "get",
      "refresh",
      "transcript",
      "cancel",
      "retryDelivery",
      "forget",
      "getBatch"
    ] as const;
    it.each(IDS.cases)("$input → $code", async (c: Case<unknown>) => {
      const p = await parent();
      // Something stored, so "changes nothing" means something.
      await scheduledTask(p);
      const before = await p.storedState();
      for (const method of methods) {
        const result = await p.callEngine(method, [fill(c.args, { [OTHER]: other })]);
        if (c.code === "unknown") {
          if (isError(result)) throw new Error(`${method}: ${result.error.message}`);
          const answer = JSON.parse(result.json) as {
            outcome?: string;
            reason?: string;
            requeued?: number;
          } | null;
          if (method === "cancel") expect(answer?.outcome).toBe("not-found");
          else if (method === "forget") expect(answer?.reason).toBe("not-found");
          else if (method === "retryDelivery") expect(answer?.requeued).toBe(0);
          else expect(answer).toBeNull();
        } else {
          if (!isError(result)) throw new Error(`${method} accepted it: ${result.json}`);
          expect(result.error.code).toBe(c.code);
          expect(result.error.field).toBe(method === "getBatch" ? "batchId" : "taskId");
        }
      }
      expect(await p.storedState()).toBe(before);
    });
  });

  it.each(WAIT_FOR.cases)("waitFor() $field: $input → $code", async (c) => {
    const p = await parent();
    const before = await p.storedState();
    const result = await p.callEngine("waitFor", fill(c.args, { [OTHER]: other }));
    if (!isError(result)) throw new Error(`accepted: ${result.json.slice(0, 200)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
    expect(await p.storedState()).toBe(before);
  });

  it.each(PRUNE.cases)("prune() $field: $input → $code", async (c: Case<unknown>) => {
    const p = await parent();
    await scheduledTask(p);
    const before = await p.storedState();
    const result = await p.callEngine("prune", [c.args]);
    if (!isError(result)) throw new Error(`accepted: ${result.json.slice(0, 200)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
    expect(await p.storedState()).toBe(before);
  });

  it.each(LIST.cases)("list() $field: $input → $code", async (c: Case<unknown>) => {
    const p = await parent();
    const result = await p.callEngine("list", [c.args]);
    if (!isError(result)) throw new Error(`accepted: ${result.json.slice(0, 200)}`);
    expect(result.error.code).toBe(c.code);
    expect(result.error.field).toBe(c.field);
  });
});

describe("bad-input catalogue: accepted edge values", () => {
  it("odd but valid values are stored exactly as given", async () => {
    const p = await parent();
    const title = "Ünïcødé ✓ 🚀 עברית \u200b\u202e zero-width, RTL, a\u0000NUL";
    const input = JSON.parse('{"__proto__": {"polluted": true}, "task": "proto"}') as {
      task: string;
    };
    const r = started(
      await p.startTask("Worker", input, {
        title: "t".repeat(200),
        idempotencyKey: "k".repeat(256),
        budgetMs: 1,
        metadata: { source: "s".repeat(64) }
      })
    );
    const task = await taskOf(p, r.taskId);
    expect(task?.title).toBe("t".repeat(200));
    expect(task?.budgetMs).toBe(1);
    expect(task?.source).toBe("s".repeat(64));
    expect(JSON.stringify(task?.input)).toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const odd = started(
      await p.startTask("Worker", { task: "odd" }, { title, idempotencyKey: title })
    );
    expect((await taskOf(p, odd.taskId))?.title).toBe(title);
    const again = started(
      await p.startTask("Worker", { task: "odd" }, { title, idempotencyKey: title })
    );
    expect(again).toMatchObject({ taskId: odd.taskId, deduped: true });
  });

  it("a week's budget and a schedule at the furthest day are accepted", async () => {
    const p = await parent();
    const week = 7 * 24 * 60 * 60 * 1000;
    const longest = started(
      await p.startTask("Worker", { task: uniqueName("w"), delayMs: 10 }, { budgetMs: week })
    );
    expect((await taskOf(p, longest.taskId))?.budgetMs).toBe(week);
    const furthest = Date.now() + 30 * 24 * 60 * 60 * 1000 - 60_000;
    const later = started(
      await p.startTask("Worker", { task: uniqueName("l") }, { runAt: furthest })
    );
    expect(later.status).toBe("scheduled");
    await p.cancelTask(later.taskId);
  });
});

describe("bad-input catalogue: the model's tools", () => {
  let other = "";
  beforeAll(async () => {
    other = await otherInstanceTask();
  });

  it.each(TOOLS.map((t) => [t.surface, t] as const))("%s", async (_name, surface) => {
    const p = await toolParent(uniqueName("catalogue"));
    const before = await p.storedState();
    const calls = surface.cases.map((c) => ({
      toolName: surface.surface,
      input: fill(c.args, { [OTHER]: other })
    }));
    const results = await runTools(p, calls);
    expect(results).toHaveLength(surface.cases.length);
    surface.cases.forEach((c, i) => {
      const result: unknown = results[i];
      const label = `${surface.surface} ${c.field}: ${c.input}`;
      if (c.code === "schema") {
        // The AI SDK refused the call against the schema, naming the field.
        expect(typeof result, label).toBe("string");
        expect(result, label).toContain("AI_InvalidToolInputError");
        expect(result, label).toMatch(new RegExp(`"path": \\[\\s*"${c.field}"`));
        return;
      }
      expect(result, label).toMatchObject({ ok: false, error: { code: c.code } });
      const message = (result as { error: { message: string } }).error.message;
      expect(message.length, `${label}: a short message`).toBeLessThan(400);
      if (c.input === "an unknown field") expect(message, label).toContain(`"${c.field}"`);
    });
    expect(await p.storedState()).toBe(before);
  });
});

describe("bad-input catalogue: the board API", () => {
  it.each(BOARD.cases)("$input → $code", async (c) => {
    const name = uniqueName("board-cat");
    const p = await getAgentByName(testEnv.TestParent, name);
    const own = await scheduledTask(p);
    const other = await otherInstanceTask();
    const before = await p.storedState();
    const request = fill(c.args, { [OTHER]: other, $OWN_TASK: own.taskId });
    const res = await exports.default.fetch(
      `http://example.com/agents/test-parent/${name}/background${request.path}`,
      {
        method: request.method,
        headers: {
          authorization: "Bearer test-token",
          ...(request.board ? { "x-background-board": "1" } : {})
        }
      }
    );
    const body = (await res.json()) as { error?: { code: string; field?: string } };
    expect(`${res.status} ${body.error?.code}`).toBe(c.code);
    if (res.status === 400) expect(body.error?.field).toBe(c.field);
    expect(await p.storedState()).toBe(before);
    await p.cancelTask(own.taskId);
  });
});
