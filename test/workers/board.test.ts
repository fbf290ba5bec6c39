// The board's JSON API, live WebSocket and drill-in, through the worker's
// routing, as a client would reach them. The test parent authorizes only
// requests carrying its test token.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parent, sleep, started, uniqueName, until } from "./helpers";

const AUTH = { authorization: "Bearer test-token" };

function url(name: string, path: string): string {
  return `http://example.com/agents/test-parent/${name}/background${path}`;
}

function get(name: string, path: string, headers: Record<string, string> = AUTH) {
  return exports.default.fetch(url(name, path), { headers });
}

type Page = { tasks: { id: string; status: string; title: string }[]; nextCursor: string | null };

async function setup() {
  const name = uniqueName("board");
  const p = await parent(name);
  const slow = started(await p.startTask("Worker", { task: uniqueName("slow"), delayMs: 6000 }));
  const fast = [1, 2, 3].map(() => uniqueName("fast"));
  const done = [];
  for (const task of fast) done.push(started(await p.startTask("Worker", { task, delayMs: 50 })));
  await until(
    async () => ((await (await get(name, "/tasks?status=completed")).json()) as Page).tasks.length,
    (n) => n === 3
  );
  return { name, p, slow, done };
}

describe("JSON API", () => {
  it("lists tasks with status filters and paging", async () => {
    const { name, slow, done } = await setup();
    const running = (await (await get(name, "/tasks?status=running")).json()) as Page;
    expect(running.tasks.map((t) => t.id)).toEqual([slow.taskId]);
    const both = (await (await get(name, "/tasks?status=running,completed")).json()) as Page;
    expect(both.tasks).toHaveLength(4);

    const first = (await (await get(name, "/tasks?limit=3")).json()) as Page;
    expect(first.tasks).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = (await (
      await get(name, `/tasks?limit=3&cursor=${encodeURIComponent(first.nextCursor ?? "")}`)
    ).json()) as Page;
    expect(second.tasks).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const all = [...first.tasks, ...second.tasks].map((t) => t.id).sort();
    expect(all).toEqual([slow.taskId, ...done.map((d) => d.taskId)].sort());
  });

  it("refuses a bad filter with a clear error", async () => {
    const { name } = await setup();
    const res = await get(name, "/tasks?status=exploded");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_input", field: "status" } });
    const limit = await get(name, "/tasks?limit=100000");
    expect(limit.status).toBe(400);
    expect(await limit.json()).toMatchObject({ error: { field: "limit" } });
  });

  it("a request the authorize hook refuses gets 403 and no data", async () => {
    const { name, slow } = await setup();
    for (const path of [
      "/tasks",
      `/tasks/${slow.taskId}`,
      `/tasks/${slow.taskId}/transcript`,
      "/board"
    ]) {
      const res = await get(name, path, { authorization: "Bearer wrong" });
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(body).not.toContain(slow.taskId);
      expect(body).not.toContain("RESULT");
    }
    const cancel = await exports.default.fetch(url(name, `/tasks/${slow.taskId}/cancel`), {
      method: "POST",
      headers: { "x-background-board": "1" }
    });
    expect(cancel.status).toBe(403);
    const still = (await (await get(name, "/tasks?status=running")).json()) as Page;
    expect(still.tasks.map((t) => t.id)).toEqual([slow.taskId]);
  });

  it("cancels from the API, and only with the board's header", async () => {
    const { name, slow } = await setup();
    const plain = await exports.default.fetch(url(name, `/tasks/${slow.taskId}/cancel`), {
      method: "POST",
      headers: AUTH
    });
    expect(plain.status).toBe(403);
    const res = await exports.default.fetch(url(name, `/tasks/${slow.taskId}/cancel`), {
      method: "POST",
      headers: { ...AUTH, "x-background-board": "1" }
    });
    expect(await res.json()).toEqual({ outcome: "cancelled", taskId: slow.taskId });
  });

  it("drill-in shows a child's transcript; an unknown task is 404 and creates no child", async () => {
    const { name, p, done } = await setup();
    const first = done[0];
    if (!first) throw new Error("no task");
    const res = await get(name, `/tasks/${first.taskId}/transcript`);
    const body = (await res.json()) as { messages: { role: string; parts: { text?: string }[] }[] };
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(JSON.stringify(body.messages[1])).toContain("RESULT for");
    expect((await get(name, "/tasks/task_guess/transcript")).status).toBe(404);

    // The SDK's own route to a child: a guessed run id is refused and no child appears.
    const guess = await exports.default.fetch(
      `http://example.com/agents/test-parent/${name}/sub/worker/run_guessed`,
      { headers: AUTH }
    );
    expect(guess.status).toBe(404);
    expect(await p.hasChild("Worker", "run_guessed")).toBe(false);
    const unauthorized = await exports.default.fetch(
      `http://example.com/agents/test-parent/${name}/sub/worker/${first.runId}`
    );
    expect(unauthorized.status).toBe(403);
  });
});

type Frame = {
  type?: string;
  task?: { id: string; status: string };
  tasks?: { id: string; status: string }[];
  nextCursor?: string | null;
  canCommand?: boolean;
  requestId?: string;
  result?: unknown;
  error?: { code: string; field?: string };
};

describe("live updates", () => {
  async function connect(name: string, headers: Record<string, string>) {
    const res = await exports.default.fetch(
      `http://example.com/agents/test-parent/${name}?background-board=1`,
      { headers: { Upgrade: "websocket", ...headers } }
    );
    const ws = res.webSocket;
    if (!ws) throw new Error(`no websocket (${res.status})`);
    const received: Frame[] = [];
    let closed: number | null = null;
    ws.addEventListener("message", (event) => {
      try {
        received.push(JSON.parse(String(event.data)));
      } catch {
        // not JSON: ignored
      }
    });
    ws.addEventListener("close", (event) => {
      closed = event.code;
    });
    ws.accept();
    return { ws, received, closed: () => closed };
  }

  it("pushes task changes to an authorized board connection", async () => {
    const name = uniqueName("live");
    const p = await parent(name);
    const board = await connect(name, AUTH);
    await sleep(100);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 300 }));
    const updates = await until(
      () => board.received.filter((m) => m.type === "background:task" && m.task?.id === r.taskId),
      (u) => u.some((m) => m.task?.status === "completed")
    );
    expect(updates.map((u) => u.task?.status)).toContain("running");
    expect(updates.at(-1)?.task?.status).toBe("completed");
    board.ws.close();
  });

  it("closes a board connection the authorize hook refuses, and sends it nothing", async () => {
    const name = uniqueName("live-no");
    const p = await parent(name);
    const board = await connect(name, {});
    started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 50 }));
    await until(
      async () => board.closed(),
      (c) => c !== null,
      3000
    );
    expect(board.closed()).toBe(4403);
    await sleep(500);
    expect(board.received.filter((m) => m.type === "background:task")).toHaveLength(0);
  });
});

describe("the socket protocol", () => {
  const SAME_ORIGIN = { ...AUTH, origin: "http://example.com" };

  async function connect(
    name: string,
    headers: Record<string, string>,
    query = "background-board=1"
  ) {
    const res = await exports.default.fetch(
      `http://example.com/agents/test-parent/${name}?${query}`,
      {
        headers: { Upgrade: "websocket", ...headers }
      }
    );
    const ws = res.webSocket;
    if (!ws) throw new Error(`no websocket (${res.status})`);
    const received: Frame[] = [];
    ws.addEventListener("message", (event) => {
      try {
        received.push(JSON.parse(String(event.data)));
      } catch {
        // not JSON: ignored
      }
    });
    ws.accept();
    const board = (type: string) => received.filter((m) => m.type === type);
    async function command(type: string, taskId: unknown, requestId = crypto.randomUUID()) {
      ws?.send(JSON.stringify({ type, requestId, taskId }));
      const [answer] = await until(
        () => board("background:reply").filter((m) => m.requestId === requestId),
        (r) => r.length > 0
      );
      if (!answer) throw new Error(`no reply to ${type}`);
      return answer;
    }
    return { ws, received, board, command };
  }

  it("sends a snapshot on accept, before any update", async () => {
    const { name, slow, done } = await setup();
    const board = await connect(name, SAME_ORIGIN);
    const [snapshot] = await until(
      () => board.board("background:snapshot"),
      (s) => s.length > 0
    );
    expect(snapshot?.canCommand).toBe(true);
    expect(snapshot?.nextCursor).toBeNull();
    expect(snapshot?.tasks?.map((t) => t.id).sort()).toEqual(
      [slow.taskId, ...done.map((d) => d.taskId)].sort()
    );
    expect(snapshot?.tasks?.find((t) => t.id === slow.taskId)?.status).toBe("running");
    const first = board.received.findIndex((m) => m.type?.startsWith("background:"));
    expect(board.received[first]?.type).toBe("background:snapshot");
    board.ws.close();
  });

  it("cancels over the socket and answers by request id; the update follows", async () => {
    const { name, slow, done } = await setup();
    const board = await connect(name, SAME_ORIGIN);
    await until(
      () => board.board("background:snapshot"),
      (s) => s.length > 0
    );
    const answer = await board.command("background:cancel", slow.taskId, "req-1");
    expect(answer).toEqual({
      type: "background:reply",
      requestId: "req-1",
      result: { outcome: "cancelled", taskId: slow.taskId }
    });
    const updates = await until(
      () => board.board("background:task").filter((m) => m.task?.id === slow.taskId),
      (u) => u.some((m) => m.task?.status === "cancelled")
    );
    expect(updates.at(-1)?.task?.status).toBe("cancelled");

    const finished = done[0]?.taskId ?? "";
    expect((await board.command("background:cancel", finished)).result).toEqual({
      outcome: "already-finished",
      taskId: finished,
      status: "completed"
    });
    expect((await board.command("background:retry-delivery", finished)).result).toEqual({
      taskId: finished,
      requeued: 0
    });
    board.ws.close();
  });

  it("answers a bad command with the API's errors", async () => {
    const { name } = await setup();
    const board = await connect(name, SAME_ORIGIN);
    expect((await board.command("background:cancel", "task_guess")).error).toMatchObject({
      code: "not_found"
    });
    expect((await board.command("background:cancel", 42)).error).toMatchObject({
      code: "invalid_input",
      field: "taskId"
    });
    expect((await board.command("background:cancel", "x".repeat(129))).error).toMatchObject({
      code: "invalid_input",
      field: "taskId"
    });
    expect((await board.command("background:explode", "task_guess")).error).toMatchObject({
      code: "invalid_input",
      field: "type"
    });
    board.ws.close();
  });

  it("a socket opened from another site, or with no Origin, reads but may not command", async () => {
    const { name, slow } = await setup();
    const origins: Record<string, string>[] = [
      { origin: "https://evil.example" },
      {},
      { origin: "null" }
    ];
    for (const origin of origins) {
      const board = await connect(name, { ...AUTH, ...origin });
      const [snapshot] = await until(
        () => board.board("background:snapshot"),
        (s) => s.length > 0
      );
      expect(snapshot?.canCommand).toBe(false);
      expect(snapshot?.tasks?.map((t) => t.id)).toContain(slow.taskId);
      for (const type of ["background:cancel", "background:retry-delivery"]) {
        expect((await board.command(type, slow.taskId)).error).toMatchObject({ code: "forbidden" });
      }
      board.ws.close();
    }
    const still = (await (await get(name, "/tasks?status=running")).json()) as Page;
    expect(still.tasks.map((t) => t.id)).toEqual([slow.taskId]);
  });

  it("a connection that is not the board's gets no snapshot and its commands are not taken", async () => {
    const { name, slow } = await setup();
    const plain = await connect(name, SAME_ORIGIN, "other=1");
    plain.ws.send(
      JSON.stringify({ type: "background:cancel", requestId: "r", taskId: slow.taskId })
    );
    await sleep(500);
    expect(plain.board("background:snapshot")).toHaveLength(0);
    expect(plain.board("background:reply")).toHaveLength(0);
    const still = (await (await get(name, "/tasks?status=running")).json()) as Page;
    expect(still.tasks.map((t) => t.id)).toEqual([slow.taskId]);
    plain.ws.close();
  });

  it("a refused board connection is closed before any snapshot", async () => {
    const { name } = await setup();
    const board = await connect(name, { origin: "http://example.com" });
    await sleep(500);
    expect(board.received.filter((m) => m.type?.startsWith("background:"))).toHaveLength(0);
  });
});

describe("the demo's access rule", () => {
  it("answers requests addressed to this machine, and refuses others with no data", async () => {
    const name = uniqueName("demo");
    const local = await exports.default.fetch(
      `http://127.0.0.1:8787/agents/assistant/${name}/background/tasks`
    );
    expect(local.status).toBe(200);
    expect(await local.json()).toEqual({ tasks: [], nextCursor: null });
    for (const host of ["http://agents.example.com", "http://192.0.2.7:8787"]) {
      const remote = await exports.default.fetch(
        `${host}/agents/assistant/${name}/background/tasks`
      );
      expect(remote.status).toBe(403);
      expect(await remote.text()).not.toContain("tasks");
    }
  });
});
