// The board's live socket, host side: what an authorized board connection is
// sent when it opens (a snapshot, so a reconnect resyncs), and the commands
// it may send (cancel, retry a notice), each answered by one reply.
//
// A browser opens a WebSocket to any site, carrying that site's cookies, and
// no CORS check applies: a page elsewhere could open a board connection that
// a cookie-based authorize hook lets through. So commands are taken only
// from a connection whose Origin is the request's own host, recorded when it
// opens; any other (another site's page, or a client that sends no Origin)
// may read but not command. The JSON API's header rule does the same for HTTP.

import type { Connection, WSMessage } from "agents";
import type { BackgroundTasks } from "../engine/engine";
import { BackgroundError } from "../engine/errors";
import { logError } from "../engine/host";
import {
  BOARD_COMMANDS,
  type BoardCommandType,
  type BoardProblem,
  type BoardReplyFrame,
  type BoardSnapshotFrame,
  MAX_REQUEST_ID,
  SNAPSHOT_LIMIT
} from "../wire/board";
import { boardTask } from "./view";

/** What a board connection carries in its (persisted) state. */
export type BoardConnectionState = {
  backgroundBoard?: boolean;
  /** Opened from the agent's own host: may send commands. */
  backgroundCommands?: boolean;
};

type SocketHost = { readonly background: BackgroundTasks };

function stateOf(connection: Connection): BoardConnectionState | null {
  const state = connection.state;
  return typeof state === "object" && state !== null ? (state as BoardConnectionState) : null;
}

/** True for a connection the authorize hook let through as a board. */
export function isOpenBoard(connection: Connection): boolean {
  return stateOf(connection)?.backgroundBoard === true;
}

/** The request came from a page on its own host: its Origin names the host it was sent to. */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return false;
  try {
    return new URL(origin).host === new URL(request.url).host;
  } catch {
    // "null" (a sandboxed frame, a file) or garbage: not this host.
    return false;
  }
}

/** The snapshot a board connection is sent first. */
export function snapshotFrame(engine: BackgroundTasks, canCommand: boolean): BoardSnapshotFrame {
  const page = engine.list({ limit: SNAPSHOT_LIMIT });
  const now = Date.now();
  return {
    type: "background:snapshot",
    tasks: page.tasks.map((task) => boardTask(task, now)),
    nextCursor: page.nextCursor,
    canCommand
  };
}

/**
 * Mark an authorized connection as a board (and whether it may command),
 * then send its snapshot. Nothing awaits in between, so no task update can
 * fall between the snapshot and the updates that follow it.
 */
export function openBoardSocket(host: SocketHost, connection: Connection, request: Request): void {
  const canCommand = isSameOrigin(request);
  connection.setState({
    ...(stateOf(connection) ?? {}),
    backgroundBoard: true,
    backgroundCommands: canCommand
  } satisfies BoardConnectionState);
  try {
    connection.send(JSON.stringify(snapshotFrame(host.background, canCommand)));
  } catch (error) {
    // Closed already: the client resyncs from the snapshot of its next connection.
    logError("a board snapshot could not be sent", error);
  }
}

function reply(connection: Connection, frame: BoardReplyFrame): void {
  connection.send(JSON.stringify(frame));
}

function refuse(connection: Connection, requestId: string, error: BoardProblem): void {
  reply(connection, { type: "background:reply", requestId, error });
}

async function run(engine: BackgroundTasks, type: BoardCommandType, taskId: string) {
  return type === "background:cancel" ? engine.cancel(taskId) : engine.retryDelivery(taskId);
}

/**
 * Handle a frame of the board protocol from a board connection. Returns
 * false for anything else (another connection, a frame of the agent's own
 * protocol), which the host passes on. A command without a usable request
 * id cannot be answered, and is dropped.
 */
export async function handleBoardMessage(
  host: SocketHost,
  connection: Connection,
  message: WSMessage
): Promise<boolean> {
  if (typeof message !== "string" || !isOpenBoard(connection)) return false;
  let frame: unknown;
  try {
    frame = JSON.parse(message);
  } catch {
    return false;
  }
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) return false;
  const { type, requestId, taskId } = frame as Record<string, unknown>;
  if (typeof type !== "string" || !type.startsWith("background:")) return false;
  if (typeof requestId !== "string" || requestId === "" || requestId.length > MAX_REQUEST_ID) {
    return true;
  }
  if (!BOARD_COMMANDS.includes(type as BoardCommandType)) {
    refuse(connection, requestId, {
      code: "invalid_input",
      message: `type must be among ${BOARD_COMMANDS.join(", ")}`,
      field: "type"
    });
    return true;
  }
  if (stateOf(connection)?.backgroundCommands !== true) {
    refuse(connection, requestId, {
      code: "forbidden",
      message: "this connection may read but not command: it was not opened from the agent's host"
    });
    return true;
  }
  if (typeof taskId !== "string") {
    refuse(connection, requestId, {
      code: "invalid_input",
      message: "taskId must be a string",
      field: "taskId"
    });
    return true;
  }
  const engine = host.background;
  try {
    if (!engine.get(taskId)) {
      refuse(connection, requestId, { code: "not_found", message: "no such task on this agent" });
      return true;
    }
    const result = await run(engine, type as BoardCommandType, taskId);
    reply(connection, { type: "background:reply", requestId, result });
  } catch (error) {
    if (error instanceof BackgroundError) {
      refuse(connection, requestId, {
        code: error.code,
        message: error.message,
        ...(error.field ? { field: error.field } : {})
      });
    } else {
      // Answered all the same, so the client is not left waiting; the detail stays in the log.
      logError(`the board command ${type} failed`, error);
      refuse(connection, requestId, { code: "internal", message: "the command failed" });
    }
  }
  return true;
}
