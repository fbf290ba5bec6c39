import { describe, expect, it } from "vitest";
import { closesCycle, dependencyVerdict } from "../../src/engine/dependencies";

describe("dependencyVerdict", () => {
  it("ready when every dependency completed (or there are none)", () => {
    expect(dependencyVerdict([])).toEqual({ kind: "ready" });
    expect(
      dependencyVerdict([
        { id: "a", status: "completed" },
        { id: "b", status: "completed" }
      ])
    ).toEqual({ kind: "ready" });
  });

  it("blocked while one is not finished", () => {
    expect(
      dependencyVerdict([
        { id: "a", status: "completed" },
        { id: "b", status: "running" }
      ])
    ).toEqual({ kind: "blocked" });
    expect(dependencyVerdict([{ id: "a", status: "scheduled" }])).toEqual({ kind: "blocked" });
  });

  it("doomed by the first that failed, was cancelled, given up, or is missing", () => {
    for (const status of ["failed", "cancelled", "gave_up"] as const) {
      expect(
        dependencyVerdict([
          { id: "a", status: "running" },
          { id: "b", status }
        ])
      ).toEqual({ kind: "doomed", id: "b", status });
    }
    expect(dependencyVerdict([{ id: "x", status: undefined }])).toEqual({
      kind: "doomed",
      id: "x",
      status: "missing"
    });
  });
});

describe("closesCycle", () => {
  const graph: Record<string, string[]> = { a: [], b: ["a"], c: ["b"] };
  const afterOf = (id: string) => graph[id] ?? [];

  it("finds a task that would come to depend on itself", () => {
    expect(closesCycle("a", ["c"], afterOf)).toBe(true);
    expect(closesCycle("a", ["a"], afterOf)).toBe(true);
  });

  it("accepts a chain without a loop", () => {
    expect(closesCycle("d", ["c", "b"], afterOf)).toBe(false);
  });
});
