// What the tools share: the context they run in, the allow-list lookup, the
// keys they derive, and the compact view of a task the model reads.

import type { BackgroundTasks } from "../engine/engine";
import { noticeState, outputText } from "../engine/notice";
import { MAX_BUDGET_MS } from "../engine/options";
import type { BackgroundTask } from "../engine/types";
import { isId, isWellFormed, MAX_ID_LENGTH } from "../engine/validate";
import { fail, quoted, type ToolFailure } from "./envelope";
import type { AllowedAgent, ResolvedToolSetOptions } from "./options";

export type ToolContext = { engine: BackgroundTasks; options: ResolvedToolSetOptions };

export const MAX_TASK_CHARS = 20_000;

/** The longest budget a model may set, in seconds: the engine's own cap. */
export const MAX_BUDGET_SECONDS = MAX_BUDGET_MS / 1000;

/** A budget the model set, in ms; refused as the API refuses `budgetMs` out of bounds. */
export function budgetOf(seconds: number | undefined): number | undefined | ToolFailure {
  if (seconds === undefined) return undefined;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_BUDGET_SECONDS) {
    return fail(
      "invalid_input",
      `budget_seconds must be a number of seconds from 1 to ${MAX_BUDGET_SECONDS}`
    );
  }
  return Math.round(seconds * 1000);
}

export function findAgent(
  context: ToolContext,
  name: unknown
): { name: string; entry: AllowedAgent } | ToolFailure {
  const entry = typeof name === "string" ? context.options.agents.get(name) : undefined;
  if (typeof name !== "string" || !entry) {
    const allowed = [...context.options.agents.keys()].join(", ");
    return fail(
      "unknown_agent",
      `agent ${quoted(name)} is not one you may start; use one of: ${allowed}`
    );
  }
  return { name, entry };
}

export function taskText(task: unknown, field = "task"): string | ToolFailure {
  if (typeof task !== "string" || task.trim() === "") {
    return fail("empty_task", `${field} must say what to do`);
  }
  if (task.length > MAX_TASK_CHARS) {
    return fail(
      "invalid_input",
      `${field} is ${task.length} characters; the limit is ${MAX_TASK_CHARS}`
    );
  }
  if (!isWellFormed(task)) return fail("invalid_input", `${field} is not well-formed Unicode text`);
  return task.trim();
}

/** The allowed agent and the task text of a call that starts one task (spawn, schedule). */
export function agentAndTask(
  context: ToolContext,
  input: { agent: unknown; task: unknown }
): { agent: AllowedAgent; task: string } | ToolFailure {
  const agent = findAgent(context, input.agent);
  if (isFailure(agent)) return agent;
  const task = taskText(input.task);
  if (isFailure(task)) return task;
  return { agent: agent.entry, task };
}

/** A task's title for lists and notices: its text, cut to 80 characters. */
export function titleOf(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** A task id the model passed: refused in the model's own field name when it cannot be one. */
export function taskIdOf(id: unknown, field = "task_id"): string | ToolFailure {
  if (!isId(id)) {
    return fail(
      "invalid_input",
      `${field} must be a task id (a string of 1 to ${MAX_ID_LENGTH} characters); list_background_tasks shows yours`
    );
  }
  return id;
}

/**
 * The idempotency key of a spawn: the model's own key, or one derived from the
 * tool call id so a recovered or retried turn never starts a second child.
 * Prefixed, so the model can never name a key the app itself uses.
 */
export function toolKey(explicit: unknown, toolCallId: string): string | ToolFailure {
  if (explicit === undefined || explicit === null) return `toolcall:${toolCallId}`;
  if (
    typeof explicit !== "string" ||
    explicit.length === 0 ||
    explicit.length > 200 ||
    !isWellFormed(explicit)
  ) {
    return fail(
      "invalid_input",
      "idempotency_key must be a well-formed string of 1 to 200 characters"
    );
  }
  return `model:${explicit}`;
}

export function isFailure(value: unknown): value is ToolFailure {
  return typeof value === "object" && value !== null && (value as { ok?: unknown }).ok === false;
}

/** The model's name for a task's agent: its allow-list name, else the class name. */
export function agentName(context: ToolContext, className: string): string {
  for (const [name, entry] of context.options.agents) {
    if (entry.agent.name === className) return name;
  }
  return className;
}

export function runtimeMs(task: BackgroundTask, now = Date.now()): number | null {
  if (task.startedAt === null) return null;
  return (task.endedAt ?? now) - task.startedAt;
}

export function progressView(task: BackgroundTask) {
  const p = task.progress;
  if (!p) return null;
  return {
    ...(p.fraction === undefined ? {} : { fraction: p.fraction }),
    ...(p.phase === undefined ? {} : { phase: p.phase }),
    ...(p.message === undefined ? {} : { message: p.message })
  };
}

/** One row of list_background_tasks. */
export function row(context: ToolContext, task: BackgroundTask) {
  return {
    task_id: task.id,
    agent: agentName(context, task.agent),
    title: task.title,
    status: task.status,
    attempts: task.attempts,
    runtime_ms: runtimeMs(task),
    progress: progressView(task),
    notice: noticeState(task),
    ...(task.prunedAt !== null ? { pruned: true } : {})
  };
}

/** The output of an ended task, one page at a time. */
export function outputPage(task: BackgroundTask, offset: number, pageChars: number) {
  const text = task.status === "failed" ? (task.error ?? "") : outputText(task);
  const page = text.slice(offset, offset + pageChars);
  const next = offset + page.length;
  return {
    output: page,
    total_chars: text.length,
    ...(next < text.length
      ? {
          next_offset: next,
          more: `${text.length - next} more characters: call again with offset ${next}`
        }
      : {})
  };
}
