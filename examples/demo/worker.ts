// The demo Worker: a chat page for an assistant that puts research and
// imports in the background, its task board, and a React page of its tasks
// (/tasks, on agents-background/react). `npm start` serves it on
// http://127.0.0.1:8787 with an offline scripted model; see the README for a
// real model. Also a small HTTP API for curl:
//   curl -X POST 'http://127.0.0.1:8787/api/research?topic=durable+objects'
//   curl -X POST http://127.0.0.1:8787/api/import
//   curl http://127.0.0.1:8787/api/tasks
//   curl http://127.0.0.1:8787/api/messages

import { getAgentByName, routeAgentRequest } from "agents";
import { isLocalRequest, subscribeBackgroundEvents } from "agents-background";
import type { Assistant, DemoEnv } from "./agents";
import { chatPage } from "./chat-page";
import { modelKind } from "./model";
import { tasksPage } from "./tasks-page";

export { Assistant, Importer, Researcher } from "./agents";

// Every background event as one JSON line in the log (`npm start` prints it):
// what the engine did, for watching the demo. A deployed app would rather
// count them, or read them in a Tail Worker (docs/observability.md).
subscribeBackgroundEvents((event) => {
  if (event.type !== "background:tick") console.log(JSON.stringify(event));
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "content-type": "application/json" }
  });
}

async function assistant(env: DemoEnv, url: URL): Promise<DurableObjectStub<Assistant>> {
  return getAgentByName(env.Assistant, url.searchParams.get("agent") ?? "demo");
}

export default {
  async fetch(request: Request, env: DemoEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/" && request.method === "GET") {
      return new Response(chatPage(modelKind(env)), {
        headers: { "content-type": "text/html; charset=utf-8" }
      });
    }
    if (url.pathname === "/tasks" && request.method === "GET") {
      // Its script (public/tasks.js) is a static asset, served before the Worker runs.
      return new Response(tasksPage(), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "content-security-policy":
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'"
        }
      });
    }
    if (url.pathname === "/board") {
      const name = encodeURIComponent(url.searchParams.get("agent") ?? "demo");
      return Response.redirect(
        new URL(`/agents/assistant/${name}/background/board`, url).href,
        302
      );
    }
    if (url.pathname.startsWith("/api/")) {
      // Like the board: answers this machine only.
      if (!isLocalRequest(request)) return json({ error: "local requests only" }, 403);
      const agent = await assistant(env, url);
      if (url.pathname === "/api/research" && request.method === "POST") {
        const topic = url.searchParams.get("topic") ?? "Durable Objects";
        return json(await agent.startResearch(topic));
      }
      if (url.pathname === "/api/import" && request.method === "POST") {
        return json(await agent.startImport());
      }
      if (url.pathname === "/api/messages") return json((await agent.transcript()) as unknown);
      if (url.pathname === "/api/tasks") return json((await agent.listTasks()) as unknown);
      return json({ error: "not found" }, 404);
    }
    return (await routeAgentRequest(request, env)) ?? new Response("Not found", { status: 404 });
  }
} satisfies ExportedHandler<DemoEnv>;
