// The board's HTTP surface under an agent's URL (…/background/…): the page,
// the JSON API and drill-in. Every route passes the host's authorize hook.

import type { BackgroundTasks } from "../engine/engine";
import { BackgroundError } from "../engine/errors";
import { isTaskStatus, TASK_STATUSES, type TaskStatus } from "../engine/status";
import { type AuthorizeResult, checkAccess } from "./access";
import { boardPage } from "./page";
import { boardTask } from "./view";

export type BoardHost = {
  readonly background: BackgroundTasks;
  authorizeBackground(request: Request): AuthorizeResult | Promise<AuthorizeResult>;
};

/** The header a state-changing request must carry: a cross-site form cannot send it. */
export const BOARD_HEADER = "x-background-board";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" }
  });
}

function problem(status: number, code: string, message: string, field?: string): Response {
  return json({ error: { code, message, ...(field ? { field } : {}) } }, status);
}

function decodePart(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** A request that changes something must carry the board's header: a cross-site form cannot. */
function needsHeader(request: Request): Response | null {
  if (request.headers.get(BOARD_HEADER) === "1") return null;
  return problem(403, "forbidden", `a change must carry the ${BOARD_HEADER} header`);
}

/** The part of the path after "/background", or null when the request is not the board's. */
export function boardPath(url: URL): string | null {
  const match = /\/background(\/.*)?$/.exec(url.pathname);
  if (!match) return null;
  return match[1] ?? "/";
}

/** Answer a board request, or return null when `request` is not one. */
export async function handleBoardRequest(
  host: BoardHost,
  request: Request
): Promise<Response | null> {
  const url = new URL(request.url);
  const path = boardPath(url);
  if (path === null) return null;
  const refused = await checkAccess((r) => host.authorizeBackground(r), request);
  if (refused) return refused;
  const engine = host.background;
  try {
    if (request.method === "GET" && (path === "/" || path === "/board")) {
      return new Response(boardPage(), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "content-security-policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"
        }
      });
    }
    if (request.method === "GET" && path === "/tasks") {
      const statusParam = url.searchParams.get("status");
      let status: TaskStatus[] | undefined;
      if (statusParam) {
        const given = statusParam.split(",");
        if (!given.every(isTaskStatus)) {
          return problem(
            400,
            "invalid_input",
            `status must be among ${TASK_STATUSES.join(", ")}`,
            "status"
          );
        }
        status = given;
      }
      const limitParam = url.searchParams.get("limit");
      const cursor = url.searchParams.get("cursor");
      const page = engine.list({
        ...(status ? { status } : {}),
        ...(limitParam === null ? {} : { limit: Number(limitParam) }),
        ...(cursor === null ? {} : { cursor })
      });
      const now = Date.now();
      return json({ tasks: page.tasks.map((t) => boardTask(t, now)), nextCursor: page.nextCursor });
    }
    if (request.method === "POST" && path === "/prune") {
      const refused = needsHeader(request);
      if (refused) return refused;
      const olderThan = Number(url.searchParams.get("olderThan") ?? Number.NaN);
      return json(await engine.prune({ olderThan }));
    }
    const one = /^\/tasks\/([^/]+)(\/cancel|\/transcript|\/retry-delivery|\/forget)?$/.exec(path);
    if (one) {
      const taskId = decodePart(one[1] ?? "");
      if (taskId === null) {
        return problem(400, "invalid_input", "the task id is not valid URL encoding", "taskId");
      }
      const task = engine.get(taskId);
      if (!task) return problem(404, "not_found", "no such task on this agent");
      if (request.method === "GET" && !one[2]) return json({ task, view: boardTask(task) });
      if (request.method === "GET" && one[2] === "/transcript") {
        return json({ taskId, messages: (await engine.transcript(taskId)) ?? [] });
      }
      if (request.method === "POST" && one[2]) {
        const refused = needsHeader(request);
        if (refused) return refused;
        if (one[2] === "/cancel") return json(await engine.cancel(taskId));
        if (one[2] === "/retry-delivery") return json(await engine.retryDelivery(taskId));
        if (one[2] === "/forget") return json(await engine.forget(taskId));
      }
    }
    return problem(404, "not_found", "no such board route");
  } catch (error) {
    if (error instanceof BackgroundError)
      return problem(400, error.code, error.message, error.field);
    throw error;
  }
}
