// The demo Worker: a Think assistant that runs a researcher in the background,
// on an offline scripted model. Start it with `npm start`, then:
//   curl -X POST 'http://127.0.0.1:8787/api/research?topic=durable+objects'
//   curl http://127.0.0.1:8787/api/messages
//   curl http://127.0.0.1:8787/api/tasks

import { Think } from "@cloudflare/think";
import { getAgentByName, routeAgentRequest } from "agents";
import type { UIMessage } from "ai";
import { BackgroundThink, type ListResult, type StartResult } from "../index";
import { scriptedModel } from "./scripted-model";

export type DemoEnv = {
  Assistant: DurableObjectNamespace<Assistant>;
  Researcher: DurableObjectNamespace<Researcher>;
};

/** The child: "researches" a topic for a few seconds. */
export class Researcher extends Think<DemoEnv> {
  override getModel() {
    return scriptedModel("researcher", ({ lastUserText }) => {
      const topic = /"topic":\s*"([^"]*)"/.exec(lastUserText)?.[1] ?? "the topic";
      return {
        delayMs: 3000,
        text: `Findings on ${topic}: three sources agree it is worth a closer look.`
      };
    });
  }
  override getSystemPrompt() {
    return "You research one topic and end with a short summary.";
  }
}

/** The parent: answers the user and reacts to background notices. */
export class Assistant extends BackgroundThink<DemoEnv> {
  override getModel() {
    return scriptedModel("assistant", ({ lastUserText }) =>
      lastUserText.startsWith("Background task")
        ? { text: `A background task finished. ${lastUserText.split("\n\n")[1] ?? ""}`.trim() }
        : { text: `You said: ${lastUserText}` }
    );
  }
  override getSystemPrompt() {
    return "You are a helpful assistant.";
  }

  startResearch(topic: string): Promise<StartResult> {
    return this.background.start(Researcher, { input: { topic }, title: `Research ${topic}` });
  }

  listTasks(): ListResult {
    return this.background.list({ limit: 50 });
  }

  transcript(): UIMessage[] {
    return JSON.parse(JSON.stringify(this.messages)) as UIMessage[];
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "content-type": "application/json" }
  });
}

export default {
  async fetch(request: Request, env: DemoEnv): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("agent") ?? "demo";
    if (url.pathname === "/api/research" && request.method === "POST") {
      const topic = url.searchParams.get("topic") ?? "Durable Objects";
      const assistant = await getAgentByName(env.Assistant, name);
      return json(await assistant.startResearch(topic));
    }
    if (url.pathname === "/api/messages") {
      const assistant = await getAgentByName(env.Assistant, name);
      return json((await assistant.transcript()) as UIMessage[]);
    }
    if (url.pathname === "/api/tasks") {
      const assistant = await getAgentByName(env.Assistant, name);
      return json((await assistant.listTasks()) as ListResult);
    }
    const routed = await routeAgentRequest(request, env);
    if (routed) return routed;
    return new Response(
      "agents-background demo\n\nPOST /api/research?topic=...  start a background research task\nGET  /api/messages            the assistant's chat\nGET  /api/tasks               background tasks\n",
      { headers: { "content-type": "text/plain" } }
    );
  }
} satisfies ExportedHandler<DemoEnv>;
