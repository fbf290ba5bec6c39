// Options of the model's tool set, validated once, when the set is made.

import { InvalidOptionError } from "../engine/errors";
import type { ChildClass } from "../engine/types";

export const TOOL_KEYS = ["spawn", "list", "check", "wait", "cancel", "schedule", "batch"] as const;
export type ToolKey = (typeof TOOL_KEYS)[number];

export const DEFAULT_TOOL_NAMES: Record<ToolKey, string> = {
  spawn: "spawn_background_task",
  list: "list_background_tasks",
  check: "check_background_task",
  wait: "wait_background_tasks",
  cancel: "cancel_background_task",
  schedule: "schedule_background_task",
  batch: "batch_background_tasks"
};

/** A child agent the model may start, by the name the model uses for it. */
export type AllowedAgent = { agent: ChildClass; description: string };

export type ToolSetOptions = {
  /** The agents the model may start: `{ researcher: { agent: Researcher, description } }`. */
  agents: Record<string, AllowedAgent>;
  /** Rename tools: `{ spawn: "start_job" }`. */
  names?: Partial<Record<ToolKey, string>>;
  /** The longest a check or wait may block, in ms. Default 30 s. */
  maxWaitMs?: number;
  /** Characters of output one check returns; the rest is read with `offset`. Default 4000. */
  outputPageChars?: number;
  /** Tasks one wait may name. Default 50. */
  maxWaitTasks?: number;
};

export type ResolvedToolSetOptions = {
  agents: Map<string, AllowedAgent>;
  names: Record<ToolKey, string>;
  maxWaitMs: number;
  outputPageChars: number;
  maxWaitTasks: number;
};

const AGENT_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

function bounded(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function resolveToolSetOptions(options: ToolSetOptions): ResolvedToolSetOptions {
  if (
    !options ||
    typeof options !== "object" ||
    !options.agents ||
    typeof options.agents !== "object"
  ) {
    throw new InvalidOptionError("agents", "must map names to { agent, description }");
  }
  const agents = new Map<string, AllowedAgent>();
  for (const [name, entry] of Object.entries(options.agents)) {
    if (!AGENT_NAME.test(name)) {
      throw new InvalidOptionError(
        `agents.${name}`,
        "names must be lowercase words (a-z, 0-9, _ or -)"
      );
    }
    if (
      typeof entry?.agent !== "function" ||
      typeof entry.description !== "string" ||
      entry.description === ""
    ) {
      throw new InvalidOptionError(
        `agents.${name}`,
        "must be { agent: Class, description: string }"
      );
    }
    agents.set(name, entry);
  }
  if (agents.size === 0) throw new InvalidOptionError("agents", "must name at least one agent");
  const names = { ...DEFAULT_TOOL_NAMES };
  for (const [key, name] of Object.entries(options.names ?? {})) {
    if (!(TOOL_KEYS as readonly string[]).includes(key)) {
      throw new InvalidOptionError(
        `names.${key}`,
        `is not a tool; tools are ${TOOL_KEYS.join(", ")}`
      );
    }
    if (typeof name !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/.test(name)) {
      throw new InvalidOptionError(
        `names.${key}`,
        "must be a tool name of letters, digits, _ or -"
      );
    }
    names[key as ToolKey] = name;
  }
  if (new Set(Object.values(names)).size !== TOOL_KEYS.length) {
    throw new InvalidOptionError("names", "two tools would have the same name");
  }
  return {
    agents,
    names,
    maxWaitMs: bounded("maxWaitMs", options.maxWaitMs, 30_000, 0, 600_000),
    outputPageChars: bounded("outputPageChars", options.outputPageChars, 4000, 100, 100_000),
    maxWaitTasks: bounded("maxWaitTasks", options.maxWaitTasks, 50, 1, 1000)
  };
}
