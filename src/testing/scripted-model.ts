// A deterministic, offline language model for tests and demos: a script maps
// the conversation so far to the next reply (text, tool calls, a delay, or an
// error). No network, no key. Built on the AI SDK's own mock model.

import { type LanguageModel, simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";

type PromptMessage = { role: string; content: unknown };

/** What the model sees when it is asked for a step. */
export type ScriptInput = {
  /** The text of the last user message. */
  lastUserText: string;
  /** Tool results since the last user message, newest last. */
  toolResults: { toolName: string; output: unknown }[];
  /** How many assistant steps came since the last user message. */
  stepsSinceUser: number;
};

/** One model step. */
export type ScriptStep = {
  text?: string;
  toolCalls?: { toolName: string; input: unknown; toolCallId?: string }[];
  /** Wait this long before the first token. */
  delayMs?: number;
  /** Fail the step with this message. */
  error?: string;
};

export type Script = (input: ScriptInput) => ScriptStep;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { type?: string; text?: string }) =>
      part.type === "text" ? (part.text ?? "") : ""
    )
    .join("");
}

export function readPrompt(prompt: readonly PromptMessage[]): ScriptInput {
  let lastUser = -1;
  for (let i = prompt.length - 1; i >= 0; i--) {
    if (prompt[i]?.role === "user") {
      lastUser = i;
      break;
    }
  }
  const after = prompt.slice(lastUser + 1);
  const toolResults: ScriptInput["toolResults"] = [];
  for (const message of after) {
    if (message.role !== "tool" || !Array.isArray(message.content)) continue;
    for (const part of message.content as {
      type?: string;
      toolName?: string;
      output?: unknown;
    }[]) {
      if (part.type === "tool-result") {
        const output = part.output as { type?: string; value?: unknown } | undefined;
        toolResults.push({ toolName: part.toolName ?? "", output: output?.value ?? output });
      }
    }
  }
  return {
    lastUserText: lastUser >= 0 ? textOf(prompt[lastUser]?.content) : "",
    toolResults,
    stepsSinceUser: after.filter((m) => m.role === "assistant").length
  };
}

/** A language model that follows `script`. `onCall` sees every step (for counting). */
export function scriptedModel(
  name: string,
  script: Script,
  onCall?: (input: ScriptInput) => void
): LanguageModel {
  const model = new MockLanguageModelV4({
    provider: "scripted",
    modelId: name,
    doStream: async (options) => {
      const input = readPrompt(options.prompt as readonly PromptMessage[]);
      onCall?.(input);
      const step = script(input);
      if (step.error !== undefined) {
        if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
        throw new Error(step.error);
      }
      const id = `t-${crypto.randomUUID()}`;
      const calls = step.toolCalls ?? [];
      return {
        stream: simulateReadableStream({
          initialDelayInMs: step.delayMs ?? 0,
          chunkDelayInMs: 0,
          chunks: [
            { type: "stream-start" as const, warnings: [] },
            ...(step.text === undefined
              ? []
              : [
                  { type: "text-start" as const, id },
                  { type: "text-delta" as const, id, delta: step.text },
                  { type: "text-end" as const, id }
                ]),
            ...calls.map((call) => ({
              type: "tool-call" as const,
              toolCallId: call.toolCallId ?? `call-${crypto.randomUUID()}`,
              toolName: call.toolName,
              input: JSON.stringify(call.input)
            })),
            {
              type: "finish" as const,
              finishReason: {
                unified: calls.length > 0 ? ("tool-calls" as const) : ("stop" as const),
                raw: undefined
              },
              usage: {
                inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
                outputTokens: { total: 5, text: 5, reasoning: 0 }
              }
            }
          ]
        })
      };
    }
  });
  return model as unknown as LanguageModel;
}
