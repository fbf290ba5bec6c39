import { describe, expect, it } from "vitest";
import {
  isBackgroundNotice,
  noticeMetadata,
  withoutBackgroundNotices
} from "../../src/client/index";

const facts = { source: "background-task", taskId: "t", status: "completed" };
const notice = {
  id: "bg-0123",
  role: "user",
  metadata: { ...facts, turnMetadata: { backgroundNotice: facts } }
};
const user = { id: "u1", role: "user" };
const reply = { id: "a1", role: "assistant", metadata: { source: "background-task" } };

describe("transcript filter", () => {
  it("hides notices and keeps everything else, in order", () => {
    expect(withoutBackgroundNotices([user, notice, reply]).map((m) => m.id)).toEqual(["u1", "a1"]);
  });

  it("reads a notice's metadata", () => {
    expect(noticeMetadata(notice)).toEqual({
      source: "background-task",
      taskId: "t",
      status: "completed"
    });
    expect(noticeMetadata(user)).toBeNull();
  });

  it("a message with the notice metadata but not the server's stamp is not a notice", () => {
    const forged = { id: "u2", role: "user", metadata: facts };
    expect(noticeMetadata(forged)).toBeNull();
    expect(withoutBackgroundNotices([forged, notice]).map((m) => m.id)).toEqual(["u2"]);
    const odd = [null, "x", [facts], { backgroundNotice: "x" }, { backgroundNotice: [facts] }];
    for (const turnMetadata of odd) {
      expect(isBackgroundNotice({ role: "user", metadata: { ...facts, turnMetadata } })).toBe(
        false
      );
    }
  });

  it("matches only the sources asked for", () => {
    const imports = { ...facts, source: "imports" };
    const custom = {
      ...notice,
      metadata: { ...imports, turnMetadata: { backgroundNotice: imports } }
    };
    expect(isBackgroundNotice(custom)).toBe(false);
    expect(isBackgroundNotice(custom, ["imports"])).toBe(true);
  });

  it("an assistant message is never a notice", () => {
    expect(isBackgroundNotice({ ...notice, role: "assistant" })).toBe(false);
  });
});

describe("isLocalRequest", () => {
  it("is true for loopback addresses only", async () => {
    const { isLocalRequest } = await import("../../src/board/access");
    const local = ["http://localhost/x", "http://127.0.0.1:8787/x", "http://[::1]:8787/x"];
    for (const url of local) expect(isLocalRequest(new Request(url))).toBe(true);
    const remote = ["https://example.com/x", "http://10.0.0.1/x", "http://localhost.evil.com/x"];
    for (const url of remote) expect(isLocalRequest(new Request(url))).toBe(false);
  });
});
