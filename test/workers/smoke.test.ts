import { describe, expect, it } from "vitest";
import { notices, parent, started, until } from "./helpers";

describe("smoke", () => {
  it("a detached run delivers one notice", async () => {
    const p = await parent();
    const r = started(await p.startTask("Worker", { task: "smoke", delayMs: 300 }));
    const msgs = await until(
      async () => notices(await p.transcript()),
      (n) => n.length > 0
    );
    console.log(JSON.stringify(msgs), JSON.stringify(await p.getTask(r.taskId)));
    expect(msgs).toHaveLength(1);
  });
});
