// Every host, the same promises: Think, AIChatAgent and a plain Agent (its
// notices through a named method). One suite, run once per host: a notice
// delivered once, the work surviving a restart mid-run, an honest cancel, and
// the board socket (a snapshot, and a command answered).

import { abortAllDurableObjects } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import type { BackgroundTask, CancelResult, StartResult } from "../../src/index";
import type { ChildInput, ChildName, ErrorEnvelope } from "../worker/index";
import { sleep, started, taskOf, testEnv, uniqueName, until } from "./helpers";

/** What every test host offers over RPC. */
type Host = {
  startTask(child: ChildName, input: ChildInput): Promise<StartResult | ErrorEnvelope>;
  cancelTask(taskId: string): Promise<CancelResult>;
  getTask(taskId: string): Promise<unknown>;
  noticeLog(): Promise<{ taskId: string; status: string }[]>;
  makeJobsDue(): Promise<number>;
};

const HOSTS: { host: string; path: string; open(name: string): Promise<Host> }[] = [
  {
    host: "Think",
    path: "test-parent",
    open: (name) => getAgentByName(testEnv.TestParent, name) as unknown as Promise<Host>
  },
  {
    host: "AIChatAgent",
    path: "a-i-chat-parent",
    open: (name) => getAgentByName(testEnv.AIChatParent, name) as unknown as Promise<Host>
  },
  {
    host: "Agent (onFinish)",
    path: "callback-host",
    open: (name) => getAgentByName(testEnv.CallbackHost, name) as unknown as Promise<Host>
  }
];

/** Wait for `count` notices, then give duplicates every chance: a tick and some time. */
async function settledNotices(open: () => Promise<Host>, count: number) {
  const p = await open();
  await until(
    () => p.noticeLog(),
    (n) => n.length >= count,
    20_000
  );
  await p.makeJobsDue();
  await sleep(1500);
  return (await open()).noticeLog();
}

describe.each(HOSTS)("$host host", ({ path, open }) => {
  it("delivers a completed task's notice exactly once", async () => {
    const name = uniqueName("host-done");
    const p = await open(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 200 }));
    expect(await settledNotices(() => open(name), 1)).toEqual([
      { taskId: r.taskId, status: "completed" }
    ]);
    const task = (await taskOf(p, r.taskId)) as BackgroundTask | null;
    expect(task?.notices.map((n) => n.state)).toEqual(["delivered"]);
  });

  it("a restart of everything mid-run: the work is done, one notice", async () => {
    const name = uniqueName("host-restart");
    const p = await open(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 1500 }));
    await sleep(400);
    await abortAllDurableObjects();
    expect(await settledNotices(() => open(name), 1)).toEqual([
      { taskId: r.taskId, status: "completed" }
    ]);
  });

  it("cancel stops the child and gives one cancelled notice", async () => {
    const name = uniqueName("host-cancel");
    const p = await open(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 }));
    await sleep(300);
    expect(await p.cancelTask(r.taskId)).toEqual({ outcome: "cancelled", taskId: r.taskId });
    expect(await settledNotices(() => open(name), 1)).toEqual([
      { taskId: r.taskId, status: "cancelled" }
    ]);
  });

  it("serves the board socket: a snapshot, then a cancel answered over it", async () => {
    const name = uniqueName("host-socket");
    const p = await open(name);
    const r = started(await p.startTask("Worker", { task: uniqueName("t"), delayMs: 8000 }));
    const res = await exports.default.fetch(
      `http://example.com/agents/${path}/${name}?background-board=1`,
      {
        headers: {
          Upgrade: "websocket",
          authorization: "Bearer test-token",
          origin: "http://example.com"
        }
      }
    );
    const ws = res.webSocket;
    if (!ws) throw new Error(`no websocket (${res.status})`);
    const frames: {
      type?: string;
      tasks?: { id: string }[];
      requestId?: string;
      result?: unknown;
    }[] = [];
    ws.addEventListener("message", (event) => {
      try {
        frames.push(JSON.parse(String(event.data)));
      } catch {
        // not JSON: ignored
      }
    });
    ws.accept();
    const [snapshot] = await until(
      () => frames.filter((f) => f.type === "background:snapshot"),
      (s) => s.length > 0
    );
    expect(snapshot?.tasks?.map((t) => t.id)).toEqual([r.taskId]);
    ws.send(JSON.stringify({ type: "background:cancel", requestId: "q1", taskId: r.taskId }));
    const [reply] = await until(
      () => frames.filter((f) => f.type === "background:reply"),
      (s) => s.length > 0
    );
    expect(reply).toEqual({
      type: "background:reply",
      requestId: "q1",
      result: { outcome: "cancelled", taskId: r.taskId }
    });
    ws.close();
  });
});
