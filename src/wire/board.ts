// The board's wire format: a task's row (what the JSON API returns and the
// socket pushes), and the live socket's protocol: what the host pushes on a
// board connection and the commands a client may send back. Shared by the
// host (src/board/) and clients (the React hook, the board page). No server
// code here, and no type that leads to any: a browser bundle imports it.

import type { GiveUpReason, TaskStatus } from "../engine/status";

export type BoardTask = {
  id: string;
  agent: string;
  title: string;
  status: TaskStatus;
  giveUpReason: GiveUpReason | null;
  cancelReason: string | null;
  createdAt: number;
  runAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  runtimeMs: number | null;
  progress: { fraction: number | null; message: string | null; phase: string | null } | null;
  /** A short preview of the result or error; the whole output is in GET tasks/:id. */
  outcome: string | null;
  /** Child runs: more than 1 when a restart cut a run short and it was run again. */
  attempts: number;
  /** Where its notices stand; "failed" means every attempt failed (POST …/retry-delivery). */
  notice: "none" | "pending" | "delivered" | "failed";
  /** When it was pruned (only its summary is left), else null. */
  prunedAt: number | null;
};

/** What `cancel` did (the engine's, the JSON API's and the socket's answer). */
export type CancelResult =
  | { outcome: "cancelled"; taskId: string }
  | { outcome: "already-finished"; taskId: string; status: TaskStatus }
  | { outcome: "not-found"; taskId: string };

/** What `retryDelivery` did: how many failed notices it put back in line. */
export type RetryDeliveryResult = { taskId: string; requeued: number };

/** The query flag that opens the agent's WebSocket as a board connection. */
export const BOARD_FLAG = "background-board";

/** The close code of a board connection the authorize hook refused. */
export const BOARD_UNAUTHORIZED = 4403;

/** Tasks a snapshot holds at most, newest first (the JSON API's largest page). */
export const SNAPSHOT_LIMIT = 200;

/** The longest request id a command may carry (a task id has the same bound). */
export const MAX_REQUEST_ID = 128;

/**
 * Sent first on every authorized board connection, so a reconnect resyncs:
 * the newest tasks, the cursor of the rest (for the JSON API), and whether
 * this connection may send commands (see the Origin rule in docs/board.md).
 */
export type BoardSnapshotFrame = {
  type: "background:snapshot";
  tasks: BoardTask[];
  nextCursor: string | null;
  canCommand: boolean;
};

/** One task's row, after every change to it (created, started, progress, ended). */
export type BoardTaskFrame = { type: "background:task"; task: BoardTask };

/** What each command answers with when it succeeds. */
export type BoardCommandResults = {
  "background:cancel": CancelResult;
  "background:retry-delivery": RetryDeliveryResult;
};

export type BoardCommandType = keyof BoardCommandResults;

/** A command from a client: answered by one reply with the same `requestId`. */
export type BoardCommand = { type: BoardCommandType; requestId: string; taskId: string };

/** Why a command was refused: the JSON API's error shape. */
export type BoardProblem = { code: string; message: string; field?: string };

export type BoardReplyFrame =
  | {
      type: "background:reply";
      requestId: string;
      result: BoardCommandResults[BoardCommandType];
    }
  | { type: "background:reply"; requestId: string; error: BoardProblem };

/** Every frame of this protocol the host sends. */
export type BoardServerFrame = BoardSnapshotFrame | BoardTaskFrame | BoardReplyFrame;

export const BOARD_COMMANDS: readonly BoardCommandType[] = [
  "background:cancel",
  "background:retry-delivery"
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A frame of this protocol from the host, or null for anything else (the
 * agent's own frames share the connection). Checks the envelope, not every
 * field of a task: the host is trusted, other frames are skipped.
 */
export function parseBoardFrame(data: unknown): BoardServerFrame | null {
  if (typeof data !== "string") return null;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(frame)) return null;
  switch (frame.type) {
    case "background:snapshot":
      return Array.isArray(frame.tasks) ? (frame as BoardSnapshotFrame) : null;
    case "background:task":
      return isRecord(frame.task) && typeof frame.task.id === "string"
        ? (frame as BoardTaskFrame)
        : null;
    case "background:reply":
      return typeof frame.requestId === "string" && ("result" in frame || isRecord(frame.error))
        ? (frame as BoardReplyFrame)
        : null;
    default:
      return null;
  }
}
