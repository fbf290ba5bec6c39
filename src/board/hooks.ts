// How a host agent serves the board: HTTP routes, the live WebSocket, and the
// guard on drill-in to child agents. The host classes call these from their
// overrides; the logic lives here once.

import type { Connection, ConnectionContext } from "agents";
import type { BackgroundTasks } from "../engine/engine";
import { logError } from "../engine/host";
import { BOARD_FLAG, BOARD_UNAUTHORIZED, type BoardTaskFrame } from "../wire/board";
import { type AuthorizeResult, checkAccess } from "./access";
import { isOpenBoard, openBoardSocket } from "./socket";
import { boardTask } from "./view";

/** The tag of a board's live connection: the query flag that asks for it. */
export const BOARD_TAG = BOARD_FLAG;

type LiveHost = {
  readonly background: BackgroundTasks;
  authorizeBackground(request: Request): AuthorizeResult | Promise<AuthorizeResult>;
  getConnections(tag?: string): Iterable<Connection>;
};

export function isBoardConnection(request: Request): boolean {
  return new URL(request.url).searchParams.has(BOARD_TAG);
}

/** Tags for a new connection: board connections are tagged so updates reach only them. */
export function boardTags(ctx: ConnectionContext): string[] {
  return isBoardConnection(ctx.request) ? [BOARD_TAG] : [];
}

/**
 * A board connection opens only past the authorize hook; it is then marked in
 * its own (persisted) state and sent its snapshot (socket.ts). Returns true
 * when the connection was the board's.
 */
export async function acceptBoardConnection(
  host: LiveHost,
  connection: Connection,
  ctx: ConnectionContext
): Promise<boolean> {
  if (!isBoardConnection(ctx.request)) return false;
  const refused = await checkAccess((r) => host.authorizeBackground(r), ctx.request);
  if (refused) {
    connection.close(BOARD_UNAUTHORIZED, "not authorized");
    return true;
  }
  openBoardSocket(host, connection, ctx.request);
  return true;
}

/** Push one task's board row to every authorized board connection. */
export function publishTask(host: LiveHost, taskId: string): void {
  // Nobody watching (the usual case): the task is not even read.
  const boards = [...host.getConnections(BOARD_TAG)].filter(isOpenBoard);
  if (boards.length === 0) return;
  const task = host.background.get(taskId);
  if (!task) return;
  const frame: BoardTaskFrame = { type: "background:task", task: boardTask(task) };
  const message = JSON.stringify(frame);
  for (const connection of boards) {
    try {
      connection.send(message);
    } catch (error) {
      logError("a board update could not be sent", error);
    }
  }
}

/**
 * Drill-in to a child through the SDK's sub-agent route: authorized, and only
 * to a child that exists. A guessed run id never creates a child.
 */
export async function guardDrillIn(
  host: LiveHost & { dynamicAgents: { has(className: string, name: string): boolean } },
  request: Request,
  child: { className: string; name: string }
): Promise<Response | null> {
  const refused = await checkAccess((r) => host.authorizeBackground(r), request);
  if (refused) return refused;
  if (!host.dynamicAgents.has(child.className, child.name)) {
    return new Response("Not found", { status: 404 });
  }
  return null;
}
