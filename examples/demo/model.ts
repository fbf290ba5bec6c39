// Which model the demo uses: a real one when configured, else the offline
// scripted one. An OpenAI-compatible key (OPENAI_API_KEY, with optional
// OPENAI_BASE_URL and OPENAI_MODEL, e.g. in .dev.vars) wins; else a Workers AI
// binding named AI (DEMO_MODEL picks the model); else the script.

import { createOpenAI } from "@ai-sdk/openai";
import { type Script, type ScriptInput, scriptedModel } from "agents-background/testing";
import type { LanguageModel } from "ai";

export type ModelEnv = {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  AI?: unknown;
  DEMO_MODEL?: string;
};

/** "scripted", "openai-compatible" or "workers-ai": what the demo runs on. */
export function modelKind(env: ModelEnv): "scripted" | "openai-compatible" | "workers-ai" {
  if (env.OPENAI_API_KEY) return "openai-compatible";
  if (env.AI) return "workers-ai";
  return "scripted";
}

/** A model id string is resolved by Think through the AI binding. */
export function demoModel(
  env: ModelEnv,
  name: string,
  script: Script,
  onCall?: (input: ScriptInput) => void
): LanguageModel | string {
  switch (modelKind(env)) {
    case "openai-compatible":
      return createOpenAI({
        apiKey: env.OPENAI_API_KEY,
        ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {})
      }).chat(env.OPENAI_MODEL ?? "gpt-4o-mini");
    case "workers-ai":
      return env.DEMO_MODEL ?? "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    case "scripted":
      return scriptedModel(name, script, onCall);
  }
}
