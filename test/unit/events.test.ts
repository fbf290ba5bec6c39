// Events cost nothing when nobody listens: no payload is even built.
import { describe, expect, it } from "vitest";
import { BACKGROUND_CHANNEL, emit, subscribe } from "../../src/engine/events";

const source = { agent: "Host", name: () => "one" };

describe("events", () => {
  it("builds no payload and publishes nothing without a subscriber", () => {
    let built = 0;
    emit(source, "background:pruned", () => {
      built++;
      return { taskId: "t", status: "completed", attempts: 1 };
    });
    expect(built).toBe(0);
  });

  it("delivers { type, agent, name, payload, timestamp } to a subscriber, until it unsubscribes", () => {
    const heard: unknown[] = [];
    const stop = subscribe((event) => heard.push(event));
    emit(source, "background:pruned", () => ({ taskId: "t", status: "completed", attempts: 1 }));
    stop();
    emit(source, "background:pruned", () => ({ taskId: "u", status: "completed", attempts: 1 }));
    expect(heard).toEqual([
      {
        type: "background:pruned",
        agent: "Host",
        name: "one",
        payload: { taskId: "t", status: "completed", attempts: 1 },
        timestamp: expect.any(Number)
      }
    ]);
    expect(BACKGROUND_CHANNEL).toBe("agents:background");
  });

  it("a subscriber that throws does not break the engine", () => {
    const stop = subscribe(() => {
      throw new Error("listener bug");
    });
    expect(() =>
      emit(source, "background:pruned", () => ({ taskId: "t", status: "completed", attempts: 1 }))
    ).not.toThrow();
    stop();
  });
});
