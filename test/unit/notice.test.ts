import { describe, expect, it } from "vitest";
import { newRunId, newTaskId, noticeKey, noticeMessageId } from "../../src/engine/keys";
import { cutText, defaultNoticeText } from "../../src/engine/notice";
import type { BackgroundTask } from "../../src/engine/types";

const task: BackgroundTask = {
  id: "task_1",
  runId: "run_1",
  agent: "Researcher",
  title: "Research tides",
  input: { topic: "tides" },
  status: "completed",
  giveUpReason: null,
  cancelReason: null,
  source: "background-task",
  delivery: { kind: "react" },
  budgetMs: 1500,
  attempts: 1,
  rerun: "always",
  createdAt: 0,
  runAt: null,
  startedAt: 0,
  endedAt: 1,
  after: [],
  batchId: null,
  progress: null,
  summary: "The moon did it.",
  output: null,
  error: null,
  inspections: 4,
  prunedAt: null,
  notices: []
};

describe("keys", () => {
  it("one idempotency key per slot", () => {
    const keys = (["result", "gave_up", "cancelled"] as const).map((slot) => noticeKey("t", slot));
    expect(keys).toEqual(["bg:t:result", "bg:t:gave_up", "bg:t:cancelled"]);
  });

  it("a notice's message id is stable for its slot and cannot be derived without the secret", async () => {
    const a = await noticeMessageId("secret-a", "task_1", "result");
    expect(a).toMatch(/^bg-[0-9a-f]{32}$/);
    expect(await noticeMessageId("secret-a", "task_1", "result")).toBe(a);
    expect(await noticeMessageId("secret-a", "task_1", "gave_up")).not.toBe(a);
    expect(await noticeMessageId("secret-a", "task_2", "result")).not.toBe(a);
    expect(await noticeMessageId("secret-b", "task_1", "result")).not.toBe(a);
    expect(a).not.toContain("task_1");
  });

  it("ids are random and 128 bits long", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newTaskId()));
    expect(ids.size).toBe(1000);
    expect(newTaskId()).toMatch(/^task_[0-9a-f]{32}$/);
    expect(newRunId()).toMatch(/^run_[0-9a-f]{32}$/);
  });
});

describe("notice text", () => {
  it("a result carries the output", () => {
    const text = defaultNoticeText({ slot: "result", status: "completed", task, maxChars: 100 });
    expect(text).toContain("task_1 (Researcher: Research tides) completed");
    expect(text).toContain("The moon did it.");
  });

  it("an error carries the error text", () => {
    const text = defaultNoticeText({
      slot: "result",
      status: "failed",
      task: { ...task, status: "failed", summary: null, error: "disk full" },
      maxChars: 100
    });
    expect(text).toContain("failed: disk full");
  });

  it("give-ups say why", () => {
    const lost = defaultNoticeText({
      slot: "gave_up",
      status: "gave_up",
      task: { ...task, giveUpReason: "lost" },
      maxChars: 100
    });
    expect(lost).toContain("lost");
    expect(lost).toContain("4 inspections");
    const budget = defaultNoticeText({
      slot: "gave_up",
      status: "gave_up",
      task: { ...task, giveUpReason: "budget" },
      maxChars: 100
    });
    expect(budget).toContain("budget of 1.5 s");
  });

  it("long output is cut, saying how much and where the rest is", () => {
    expect(cutText("short", 10, "t")).toBe("short");
    const cut = cutText("x".repeat(250), 100, "task_9");
    expect(cut.startsWith("x".repeat(100))).toBe(true);
    expect(cut).toContain("150 more characters");
    expect(cut).toContain('check_background_task { task_id: "task_9", offset: 100 }');
  });
});
