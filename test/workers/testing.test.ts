// The testing entry point against real hosts: what agents-background/testing
// promises a user's tests (restart, backbone on demand, awaiting a notice),
// for a chat host and for a callback host.
import { getAgentByName } from "agents";
import {
  noticeMessages,
  restartObjects,
  runBackbone,
  waitForNotice
} from "agents-background/testing";
import { describe, expect, it } from "vitest";
import { parent, started, testEnv, uniqueName } from "./helpers";

describe("agents-background/testing", () => {
  it("a chat host: restart, run the backbone, and the one notice is awaited", async () => {
    const name = uniqueName("testing");
    const r = started(await (await parent(name)).startTask("Worker", { task: uniqueName("t") }));
    await restartObjects();
    const p = await parent(name);
    await runBackbone(p);
    const delivered = await waitForNotice(p, r.taskId, { slot: "result" });
    expect(delivered.task.status).toBe("completed");
    expect(delivered.notice.deliveredAt).not.toBeNull();
    expect(delivered.messages).toHaveLength(1);
    expect(await noticeMessages(p, r.taskId)).toHaveLength(1);
  });

  it("a callback host: the notice is awaited with no chat messages", async () => {
    const host = await getAgentByName(testEnv.CallbackHost, uniqueName("cb"));
    const r = started(await host.startTask("Worker", { task: uniqueName("t") }));
    const delivered = await waitForNotice(host, r.taskId);
    expect(delivered.notice.policy).toBe("callback");
    expect(delivered.messages).toEqual([]);
    expect(await host.finishLog()).toHaveLength(1);
  });

  it("runBackbone answers false when nothing is outstanding, and waitForNotice names an unknown task", async () => {
    const p = await parent(uniqueName("idle"));
    expect(await runBackbone(p)).toBe(false);
    await expect(waitForNotice(p, "task_unknown", { timeoutMs: 100 })).rejects.toThrow(
      /not a task of this object/
    );
  });
});
