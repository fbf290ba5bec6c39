// The demo's agents: an assistant with background tools, a researcher
// (seconds) and an importer (tens of seconds, reporting progress).

import { Think } from "@cloudflare/think";
import {
  BackgroundThink,
  backgroundTools,
  isLocalRequest,
  type ListResult,
  type StartResult
} from "agents-background";
import { tool, type UIMessage } from "ai";
import { z } from "zod";
import { demoModel, type ModelEnv } from "./model";
import { assistantScript, IMPORT_BATCHES, importerScript, researcherScript } from "./scripts";

export type DemoEnv = ModelEnv & {
  Assistant: DurableObjectNamespace<Assistant>;
  Researcher: DurableObjectNamespace<Researcher>;
  Importer: DurableObjectNamespace<Importer>;
  /** How long one import batch takes, in ms (default 4000: five batches, 20 s). */
  IMPORT_BATCH_MS?: string;
};

/** Researches one topic for a few seconds. */
export class Researcher extends Think<DemoEnv> {
  override getModel() {
    return demoModel(this.env, "researcher", researcherScript);
  }
  override getSystemPrompt() {
    return "You research the topic you are given and answer with a short summary of findings.";
  }
}

/** Imports the sample file in batches, reporting progress after each. */
export class Importer extends Think<DemoEnv> {
  override getModel() {
    return demoModel(this.env, "importer", importerScript);
  }
  override getSystemPrompt() {
    return `You import a data file. Call import_batch for batches 1 to ${IMPORT_BATCHES}, in order, then say how many rows you imported.`;
  }
  override getTools() {
    const batchMs = Number(this.env.IMPORT_BATCH_MS ?? 4000);
    return {
      import_batch: tool({
        description: `Import one batch (1 to ${IMPORT_BATCHES}) of the file.`,
        inputSchema: z.object({ batch: z.number() }),
        execute: async ({ batch }) => {
          await new Promise((resolve) => setTimeout(resolve, batchMs));
          const rows = Math.min(batch, IMPORT_BATCHES) * 20_000;
          await this.reportProgress({
            fraction: Math.min(batch, IMPORT_BATCHES) / IMPORT_BATCHES,
            phase: "importing",
            message: `${rows.toLocaleString("en-US")} of ${(IMPORT_BATCHES * 20_000).toLocaleString("en-US")} rows`
          });
          return { batch, rows };
        }
      })
    };
  }
}

/** The assistant the user chats with. */
export class Assistant extends BackgroundThink<DemoEnv> {
  override getModel() {
    return demoModel(this.env, "assistant", assistantScript);
  }
  override getSystemPrompt() {
    return "You are a helpful assistant. Put slow work (research, imports) in the background with your tools, and tell the user what you started. When a background notice arrives, tell the user what it says.";
  }
  override getTools() {
    return backgroundTools(this, {
      agents: {
        researcher: {
          agent: Researcher,
          description: "Researches one topic; takes a few seconds."
        },
        importer: {
          agent: Importer,
          description: "Imports the sample data file; takes tens of seconds and reports progress."
        }
      }
    });
  }
  /** For the curl API: start a research task directly. */
  startResearch(topic: string): Promise<StartResult> {
    return this.background.start(Researcher, {
      input: `Research ${topic}`,
      title: `Research ${topic}`
    });
  }

  /** For the curl API and the tasks page: start an import directly (it reports progress). */
  startImport(): Promise<StartResult> {
    return this.background.start(Importer, {
      input: "Import the sample file sample.csv",
      title: "Import the sample file sample.csv"
    });
  }

  listTasks(): ListResult {
    return this.background.list({ limit: 50 });
  }

  transcript(): UIMessage[] {
    return JSON.parse(JSON.stringify(this.messages)) as UIMessage[];
  }

  /** The demo's board and API answer requests from this machine only. */
  override authorizeBackground(request: Request): boolean {
    return isLocalRequest(request);
  }
}
