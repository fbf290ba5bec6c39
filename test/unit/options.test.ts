import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/engine/errors";
import { DEFAULT_OPTIONS, resolveOptions } from "../../src/engine/options";

describe("options", () => {
  it("defaults", () => {
    expect(resolveOptions()).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS.budgetMs).toBe(2 * 60 * 60 * 1000);
  });

  it("takes valid values", () => {
    expect(resolveOptions({ nullTolerance: 1, pollMinMs: 1000, source: "jobs" })).toMatchObject({
      nullTolerance: 1,
      pollMinMs: 1000,
      source: "jobs"
    });
  });

  it.each([
    [{ maxConcurrentTasks: 0 }, "maxConcurrentTasks"],
    [{ maxConcurrentTasks: 1.5 }, "maxConcurrentTasks"],
    [{ budgetMs: -1 }, "budgetMs"],
    [{ budgetMs: Number.NaN }, "budgetMs"],
    [{ nullTolerance: Number.POSITIVE_INFINITY }, "nullTolerance"],
    [{ pollMinMs: 10 }, "pollMinMs"],
    [{ stalledRunMs: 500 }, "stalledRunMs"],
    [{ pollMinMs: 5000, pollMaxMs: 2000 }, "pollMaxMs"],
    [{ source: "" }, "source"],
    [{ noSuchOption: 1 }, "noSuchOption"]
  ])("refuses %j, naming %s", (input, option) => {
    const attempt = () => resolveOptions(input as never);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`"${option}"`);
  });

  it("takes stalledRunMs within its bounds, and refuses one under a second, saying so", () => {
    expect(resolveOptions({ stalledRunMs: 20_000 }).stalledRunMs).toBe(20_000);
    expect(resolveOptions({}).stalledRunMs).toBe(300_000);
    expect(() => resolveOptions({ stalledRunMs: 500 })).toThrow(/"stalledRunMs".*between 1000/);
  });
});
