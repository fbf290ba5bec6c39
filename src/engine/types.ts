// The engine's domain types: what callers pass in and what they get back.
// Storage rows live apart (rows.ts), joined to these by one mapper.

import type { AgentToolProgressSnapshot, SubAgentClass } from "agents";
import type {
  DeliveryPolicy,
  DeliveryState,
  GiveUpReason,
  NoticeSlot,
  NoticeStatus,
  RerunPolicy,
  TaskStatus
} from "./status";

// What cancel and retryDelivery answer also crosses the wire (the JSON API,
// the board socket): it is defined with the wire format, free of server types.
export type { CancelResult, RetryDeliveryResult } from "../wire/board";

/** A child class the engine may run: what `runAgentTool` accepts. */
export type ChildClass = SubAgentClass;

/** How a task's notices reach the host: a chat policy, or a named method. */
export type Delivery = { kind: DeliveryPolicy } | { kind: "callback"; method: string };

/** What `delivery` accepts: a chat policy, or `{ onFinish: "methodName" }` on any host. */
export type DeliveryOption = DeliveryPolicy | { onFinish: string };

/** A background task as callers see it. */
export type BackgroundTask = {
  id: string;
  /** The child run of the current attempt (also the child's name). */
  runId: string;
  agent: string;
  title: string;
  input: unknown;
  status: TaskStatus;
  giveUpReason: GiveUpReason | null;
  /** Why a task was cancelled without a cancel call (a dependency ended badly). */
  cancelReason: string | null;
  source: string;
  delivery: Delivery;
  budgetMs: number;
  /** Child runs so far: 1, plus one per run started again after a restart cut it short. */
  attempts: number;
  rerun: RerunPolicy;
  createdAt: number;
  /** When a scheduled task is due. */
  runAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  /** Tasks that must complete before this one starts. */
  after: string[];
  batchId: string | null;
  /** The child's latest `reportProgress` snapshot. */
  progress: AgentToolProgressSnapshot | null;
  /** The child's final text (or structured output as text), kept up to `maxStoredOutputChars`. */
  summary: string | null;
  output: unknown;
  error: string | null;
  inspections: number;
  /**
   * When the task was pruned (see `retainEndedMs`), else null. A pruned task
   * keeps its id, title, agent, status, times, attempts and the start of its
   * result or error; its input, output, notices and child are gone.
   */
  prunedAt: number | null;
  notices: NoticeState[];
};

export type NoticeState = {
  slot: NoticeSlot;
  status: NoticeStatus;
  policy: DeliveryPolicy | "callback";
  /** `failed` after every attempt failed: `retryDelivery(taskId)` tries again. */
  state: DeliveryState;
  deliveredAt: number | null;
  attempts: number;
  lastError: string | null;
};

export type BatchDelivery = "each" | "all";

export type BackgroundBatch = {
  id: string;
  agent: string;
  instructions: string;
  maxConcurrency: number;
  delivery: BatchDelivery;
  createdAt: number;
  endedAt: number | null;
  taskIds: string[];
};

export type StartOptions<Input = unknown> = {
  input: Input;
  /** Shown in lists and notices. Default: taken from the input. */
  title?: string;
  /** The same key returns the same task and never starts a second child. */
  idempotencyKey?: string;
  /**
   * How notices reach the host. Chat hosts: "react" (default: a message and a
   * model turn), "next-turn" (added before the next user message, no turn),
   * "digest" (merged with others into one message), "silent" (none).
   * Any host: `{ onFinish: "methodName" }`.
   */
  delivery?: DeliveryOption;
  /** Give the task up (and stop the child) after this many ms, across all attempts. */
  budgetMs?: number;
  /** Run a child cut short by a restart again? Default: the class's `rerun` option. */
  rerun?: RerunPolicy;
  /** Start only when these tasks (of this agent) have completed. */
  after?: string[];
  /** Start at this time (a Date or epoch ms) instead of now. */
  runAt?: Date | number;
  metadata?: { source?: string };
};

/** One task of `startMany`: its child class and its start options. */
export type StartManyItem<Input = unknown> = StartOptions<Input> & { agent: ChildClass };

export type BatchOptions<Input = unknown> = {
  items: { input: Input; title?: string }[];
  /** What the batch is for; shown in its notice. */
  instructions: string;
  /** Children running at once; the rest wait their turn. */
  maxConcurrency: number;
  /** "each": one notice per item. "all": one notice when every item has ended. */
  delivery: BatchDelivery;
  /** The same key returns the same batch and starts nothing new. */
  idempotencyKey?: string;
  budgetMs?: number;
  rerun?: RerunPolicy;
  metadata?: { source?: string };
};

export type StartResult = {
  taskId: string;
  runId: string;
  status: TaskStatus;
  deduped: boolean;
};

export type BatchResult = { batchId: string; taskIds: string[]; deduped: boolean };

export type ListOptions = { status?: TaskStatus | TaskStatus[]; limit?: number; cursor?: string };
export type ListResult = { tasks: BackgroundTask[]; nextCursor: string | null };

export type WaitOptions = { mode: "all" | "any"; timeoutMs: number };
export type WaitResult = { done: boolean; tasks: BackgroundTask[] };

/** What `forget` did: pruned now, or why not. */
export type ForgetResult =
  | { taskId: string; forgotten: true }
  | { taskId: string; forgotten: false; reason: "not-found" | "not-ended" | "held" };

/** What `prune` did: how many ended tasks it pruned. */
export type PruneResult = { pruned: number };
