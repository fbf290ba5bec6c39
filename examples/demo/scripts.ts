// The demo's offline scripts: what the scripted assistant, researcher and
// importer say and do. The assistant understands a few plain requests and
// uses the real background tools to act on them.

import type { Script, ScriptStep } from "agents-background/testing";

type ToolOutput = {
  ok?: boolean;
  task_id?: string;
  tasks?: {
    task_id: string;
    agent: string;
    title: string;
    status: string;
    progress?: { fraction?: number; message?: string } | null;
  }[];
  outcome?: string;
  error?: { message: string };
};

export const HELP =
  'I can run work in the background. Try: "research tides in the background", "import the sample file", "what is running?" or "cancel the import".';

function isNotice(text: string): boolean {
  return /^(Background task|Background batch|\d+ background notices)/.test(text);
}

function output(results: { output: unknown }[], i = 0): ToolOutput {
  return (results[i]?.output ?? {}) as ToolOutput;
}

function describe(rows: NonNullable<ToolOutput["tasks"]>): string {
  if (rows.length === 0) return "Nothing is running in the background.";
  return `Running now:\n${rows
    .map((r) => {
      const pct =
        r.progress?.fraction === undefined ? "" : ` (${Math.round(r.progress.fraction * 100)}%)`;
      return `- ${r.agent}: ${r.title}${pct}`;
    })
    .join("\n")}`;
}

/** The assistant: turns a few plain requests into background-tool calls. */
export const assistantScript: Script = ({
  lastUserText,
  toolResults,
  stepsSinceUser
}): ScriptStep => {
  const text = lastUserText.trim();
  if (isNotice(text)) {
    const [head, ...rest] = text.split("\n");
    const body = rest.join("\n").trim();
    return { text: `Update: ${head}${body ? `\n\n${body}` : ""}` };
  }
  const research = /^research\s+(.+?)(\s+in the background)?[.!]?$/i.exec(text);
  if (research) {
    const topic = research[1] ?? "";
    if (stepsSinceUser === 0) {
      return {
        toolCalls: [
          {
            toolName: "spawn_background_task",
            input: { agent: "researcher", task: `Research ${topic}` }
          }
        ]
      };
    }
    const r = output(toolResults);
    return {
      text: r.ok
        ? `I started researching ${topic} in the background (${r.task_id}). I'll tell you when it's done.`
        : `I could not start it: ${r.error?.message}`
    };
  }
  if (/import the sample( file)?/i.test(text)) {
    if (stepsSinceUser === 0) {
      return {
        toolCalls: [
          {
            toolName: "spawn_background_task",
            input: { agent: "importer", task: "Import the sample file sample.csv" }
          }
        ]
      };
    }
    const r = output(toolResults);
    return {
      text: r.ok
        ? `The import is running in the background (${r.task_id}). You can keep chatting.`
        : `I could not start it: ${r.error?.message}`
    };
  }
  if (/what('s| is) running/i.test(text)) {
    if (stepsSinceUser === 0) {
      return { toolCalls: [{ toolName: "list_background_tasks", input: { status: "running" } }] };
    }
    return { text: describe(output(toolResults).tasks ?? []) };
  }
  if (/cancel the import/i.test(text)) {
    if (stepsSinceUser === 0) {
      return { toolCalls: [{ toolName: "list_background_tasks", input: { status: "running" } }] };
    }
    if (stepsSinceUser === 1) {
      const importing = output(toolResults).tasks?.find((t) => t.agent === "importer");
      if (!importing) return { text: "No import is running." };
      return {
        toolCalls: [{ toolName: "cancel_background_task", input: { task_id: importing.task_id } }]
      };
    }
    const r = output(toolResults, toolResults.length - 1);
    return {
      text:
        r.outcome === "cancelled"
          ? "I cancelled the import."
          : `The import had already ${r.outcome}.`
    };
  }
  return { text: HELP };
};

/** The researcher: a few seconds, then findings on the topic. */
export const researcherScript: Script = ({ lastUserText }) => {
  const topic = /Research (.+)/.exec(lastUserText)?.[1]?.trim() ?? "the topic";
  return {
    delayMs: 3000,
    text: `Findings on ${topic}: three sources agree, and one open question remains.`
  };
};

/** Batches the importer goes through, one tool call each. */
export const IMPORT_BATCHES = 5;

/** The importer: one tool call per batch (each reports progress), then a summary. */
export const importerScript: Script = ({ stepsSinceUser }) => {
  if (stepsSinceUser < IMPORT_BATCHES) {
    return { toolCalls: [{ toolName: "import_batch", input: { batch: stepsSinceUser + 1 } }] };
  }
  return {
    text: `Imported ${IMPORT_BATCHES * 20_000} rows from sample.csv into the orders table.`
  };
};
