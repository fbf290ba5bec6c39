import { describe, expect, it } from "vitest";
import { cadenceDelayMs, nextTickAt } from "../../src/engine/cadence";

const cadence = { minMs: 2000, maxMs: 20_000, factor: 2 };

describe("cadence", () => {
  it("starts fast and rises to the ceiling", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((step) => cadenceDelayMs(cadence, step))).toEqual([
      2000, 4000, 8000, 16_000, 20_000, 20_000, 20_000
    ]);
  });

  it("never goes below the first delay", () => {
    expect(cadenceDelayMs(cadence, -3)).toBe(2000);
  });

  it("a nearer deadline pulls the tick in, rounded up to a whole second", () => {
    const now = 1_000_000_500;
    expect(nextTickAt(now, 20_000, [now + 1200])).toBe(1_000_002_000);
    expect(nextTickAt(now, 2000, [now + 60_000])).toBe(1_000_003_000);
  });

  it("a deadline in the past means now, never earlier", () => {
    const now = 1_000_000_000;
    expect(nextTickAt(now, 20_000, [now - 5000])).toBe(now);
  });

  it("never fires before the deadline it was set for", () => {
    for (let now = 0; now < 3000; now += 137) {
      const deadline = now + 777;
      expect(nextTickAt(now, 20_000, [deadline])).toBeGreaterThanOrEqual(deadline);
    }
  });
});
