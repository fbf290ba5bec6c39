// The React entry's pure parts: the wire parser, the task list a snapshot and
// updates make, and commands waiting on their replies.
import { afterEach, describe, expect, it, vi } from "vitest";
import { BackgroundCommandError, PendingCommands } from "../../src/react/commands";
import { fromSnapshot, withTask } from "../../src/react/task-list";
import { type BoardTask, parseBoardFrame } from "../../src/wire/board";

function task(id: string, createdAt: number, status: BoardTask["status"] = "running"): BoardTask {
  return {
    id,
    agent: "worker",
    title: id,
    status,
    giveUpReason: null,
    cancelReason: null,
    createdAt,
    runAt: null,
    startedAt: createdAt,
    endedAt: null,
    runtimeMs: 0,
    progress: null,
    outcome: null,
    attempts: 1,
    notice: "none",
    prunedAt: null
  };
}

describe("parseBoardFrame", () => {
  it("reads the board's frames and skips everything else", () => {
    const snapshot = { type: "background:snapshot", tasks: [], nextCursor: null, canCommand: true };
    expect(parseBoardFrame(JSON.stringify(snapshot))).toEqual(snapshot);
    const update = { type: "background:task", task: task("a", 1) };
    expect(parseBoardFrame(JSON.stringify(update))).toEqual(update);
    const reply = {
      type: "background:reply",
      requestId: "c1",
      result: { taskId: "a", requeued: 0 }
    };
    expect(parseBoardFrame(JSON.stringify(reply))).toEqual(reply);
    for (const other of [
      "not json",
      JSON.stringify({ type: "cf_agent_chat_messages", messages: [] }),
      JSON.stringify({ type: "background:task" }),
      JSON.stringify({ type: "background:snapshot", tasks: "no" }),
      JSON.stringify({ type: "background:reply", requestId: 1, result: {} }),
      JSON.stringify([1, 2]),
      "null"
    ]) {
      expect(parseBoardFrame(other)).toBeNull();
    }
    expect(parseBoardFrame(new ArrayBuffer(2))).toBeNull();
  });
});

describe("the task list", () => {
  it("a snapshot sets the list, newest first; an update replaces its row or is added in order", () => {
    const list = fromSnapshot([task("a", 1), task("c", 3), task("b", 2)]);
    expect(list.map((t) => t.id)).toEqual(["c", "b", "a"]);
    const done = withTask(list, task("b", 2, "completed"));
    expect(done.map((t) => [t.id, t.status])).toEqual([
      ["c", "running"],
      ["b", "completed"],
      ["a", "running"]
    ]);
    expect(list[1]?.status).toBe("running");
    expect(withTask(done, task("d", 4)).map((t) => t.id)).toEqual(["d", "c", "b", "a"]);
    expect(withTask(done, task("z", 0)).map((t) => t.id)).toEqual(["c", "b", "a", "z"]);
  });

  it("orders tasks created in the same millisecond by id, the same way every time", () => {
    const a = fromSnapshot([task("t1", 5), task("t2", 5)]).map((t) => t.id);
    const b = fromSnapshot([task("t2", 5), task("t1", 5)]).map((t) => t.id);
    expect(a).toEqual(b);
  });
});

describe("commands in flight", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function sent(frames: string[]) {
    return (frame: string) => {
      frames.push(frame);
    };
  }

  it("each resolves or fails by the reply with its request id", async () => {
    const frames: string[] = [];
    const commands = new PendingCommands();
    const cancel = commands.send(sent(frames), "background:cancel", "t1", 1000);
    const retry = commands.send(sent(frames), "background:retry-delivery", "t2", 1000);
    const [first, second] = frames.map((f) => JSON.parse(f) as { requestId: string });
    expect(JSON.parse(frames[0] ?? "")).toMatchObject({ type: "background:cancel", taskId: "t1" });
    expect(first?.requestId).not.toBe(second?.requestId);

    commands.settle({
      type: "background:reply",
      requestId: second?.requestId ?? "",
      error: { code: "forbidden", message: "no" }
    });
    commands.settle({
      type: "background:reply",
      requestId: first?.requestId ?? "",
      result: { outcome: "cancelled", taskId: "t1" }
    });
    expect(await cancel).toEqual({ outcome: "cancelled", taskId: "t1" });
    const error = await retry.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackgroundCommandError);
    expect(error).toMatchObject({ code: "forbidden", message: "no" });
    // A second reply to the same id is dropped.
    commands.settle({
      type: "background:reply",
      requestId: first?.requestId ?? "",
      result: { outcome: "not-found", taskId: "t1" }
    });
  });

  it("fails on a close, on a timeout, and when it cannot be sent", async () => {
    vi.useFakeTimers();
    const commands = new PendingCommands();
    const open = commands.send(() => {}, "background:cancel", "t1", 60_000);
    commands.failAll("disconnected", "closed");
    await expect(open).rejects.toMatchObject({ code: "disconnected" });

    const slow = commands.send(() => {}, "background:cancel", "t1", 500);
    vi.advanceTimersByTime(500);
    await expect(slow).rejects.toMatchObject({ code: "timeout" });

    const broken = commands.send(
      () => {
        throw new Error("socket gone");
      },
      "background:cancel",
      "t1",
      500
    );
    await expect(broken).rejects.toMatchObject({ code: "disconnected" });
  });
});
