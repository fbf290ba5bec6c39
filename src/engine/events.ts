// Observability: what the engine did, as events in the Agents SDK's
// convention `{ type, agent, name, payload, timestamp }` on the diagnostics
// channel `agents:background`. Silent and free when nobody listens: a payload
// is built only when the channel has a subscriber. In production, Tail
// Workers receive them as `diagnosticsChannelEvents`.

import { channel, subscribe as subscribeChannel, unsubscribe } from "node:diagnostics_channel";
import type { GiveUpReason, NoticeSlot, TaskStatus } from "./status";

/** The diagnostics channel every event goes to. */
export const BACKGROUND_CHANNEL = "agents:background";

/** Each event's payload, by type. Times are epoch ms, durations ms. */
export type BackgroundEventPayloads = {
  /**
   * A task was created: running at once, `scheduled` for `runAt`, or
   * `waiting` (behind the tasks in `after`, or for its turn in a batch). A
   * start that returns an existing task creates none.
   */
  "background:created": {
    taskId: string;
    agent: string;
    status: "running" | "scheduled" | "waiting";
    runAt: number | null;
    after: string[];
    batchId: string | null;
  };
  /** A child run was handed over: a new task, a pending one starting, or a rerun. */
  "background:dispatched": { taskId: string; runId: string; agent: string; attempt: number };
  /** A task's run was cut short by a restart and is run again under a new attempt. */
  "background:rerun": { taskId: string; runId: string; attempt: number; reason: string };
  /** The child reported progress. */
  "background:progress": {
    taskId: string;
    fraction: number | null;
    message: string | null;
    phase: string | null;
  };
  /** A task reached an outcome (a late result after a give-up settles again). */
  "background:settled": {
    taskId: string;
    status: TaskStatus;
    attempts: number;
    /** From the task's first dispatch to its end. */
    runMs: number | null;
    /** From the task's creation to its end (includes time scheduled or waiting). */
    totalMs: number;
  };
  "background:gave-up": { taskId: string; reason: GiveUpReason };
  /** A task was cancelled: by a cancel call (`reason` null) or because a dependency ended badly. */
  "background:cancelled": { taskId: string; reason: string | null };
  /** Notices reached the chat (or the callback) in one delivery. */
  "background:notice:delivered": {
    taskIds: string[];
    slots: NoticeSlot[];
    policy: string;
    /** From the earliest of these tasks' ends to delivery. */
    latencyMs: number;
  };
  /** A delivery attempt failed: `final` when it was the last and the notices are now failed. */
  "background:notice:failed": {
    taskIds: string[];
    attempt: number;
    final: boolean;
    retryInMs: number | null;
    error: string;
  };
  /** One backbone tick; `late`: tasks given up as lost whose late run it still follows. */
  "background:tick": {
    running: number;
    late: number;
    inspected: number;
    owed: number;
    ms: number;
  };
  /** An ended task was pruned: its rows, children and records removed. */
  "background:pruned": { taskId: string; status: TaskStatus; attempts: number };
};

export type BackgroundEventType = keyof BackgroundEventPayloads;

export type BackgroundEvent = {
  [K in BackgroundEventType]: {
    type: K;
    /** The host agent's class. */
    agent: string;
    /** The host agent's instance (its Durable Object name). */
    name: string;
    payload: BackgroundEventPayloads[K];
    timestamp: number;
  };
}[BackgroundEventType];

const events = channel(BACKGROUND_CHANNEL);

/** Who emits: the host's class and instance name. */
export type EventSource = { agent: string; name(): string };

/** Publish one event; `payload` is called only when someone listens. */
export function emit<K extends BackgroundEventType>(
  source: EventSource,
  type: K,
  payload: () => BackgroundEventPayloads[K]
): void {
  if (!events.hasSubscribers) return;
  events.publish({
    type,
    agent: source.agent,
    name: source.name(),
    payload: payload(),
    timestamp: Date.now()
  });
}

/**
 * Listen to every background event (in this isolate). Returns the function
 * that stops listening. A handler that throws is not the engine's problem:
 * its error is logged and the engine goes on.
 */
export function subscribe(handler: (event: BackgroundEvent) => void): () => void {
  const listener = (message: unknown) => {
    try {
      handler(message as BackgroundEvent);
    } catch (error) {
      console.error("[agents-background] an event subscriber threw", error);
    }
  };
  subscribeChannel(BACKGROUND_CHANNEL, listener);
  return () => {
    unsubscribe(BACKGROUND_CHANNEL, listener);
  };
}
