// The model's side of errors: every tool returns an envelope, never throws.
// Engine errors are mapped to codes a model can act on.

import { BackgroundError } from "../engine/errors";

export const TOOL_ERROR_CODES = [
  "unknown_agent",
  "empty_task",
  "invalid_input",
  "too_many_items",
  "invalid_run_at",
  "timeout_over_cap",
  "unknown_task",
  "cycle",
  "unknown_delivery_policy",
  "limit_exceeded",
  "internal"
] as const;
export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

export type ToolFailure = {
  ok: false;
  error: { code: ToolErrorCode; message: string; retryable: boolean };
};

export function fail(code: ToolErrorCode, message: string, retryable = false): ToolFailure {
  return { ok: false, error: { code, message, retryable } };
}

/** A value the model sent, quoted in a message: cut, so a huge one never floods its context. */
export function quoted(value: unknown, max = 60): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** A thrown error, as an envelope. Only a concurrency limit is worth retrying as is. */
export function toFailure(error: unknown): ToolFailure {
  if (!(error instanceof BackgroundError)) {
    return fail("internal", error instanceof Error ? error.message : String(error), true);
  }
  const { code, field, message } = error;
  if (code === "limit_exceeded" && field === "items") return fail("too_many_items", message);
  if (code === "limit_exceeded") {
    const busy = field === "maxConcurrentTasks" || field === "maxPendingTasks";
    return fail("limit_exceeded", message, busy);
  }
  if (code === "invalid_input" && field === "runAt") return fail("invalid_run_at", message);
  if (code === "invalid_input" && field === "delivery")
    return fail("unknown_delivery_policy", message);
  if (code === "unknown_task") return fail("unknown_task", message);
  if (code === "cycle") return fail("cycle", message);
  if (code === "unknown_agent" || code === "not_chat_agent") return fail("unknown_agent", message);
  return fail("invalid_input", message);
}

/**
 * Run a tool body; whatever it throws comes back as an envelope. A call with
 * a field the tool does not take is refused first, naming the field: a model
 * that set one (a budget, a priority) must not believe it did.
 */
export async function guard<T>(
  input: object,
  shape: object,
  body: () => Promise<T | ToolFailure>
): Promise<T | ToolFailure> {
  const unknown = Object.keys(input).filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length > 0) {
    const fields = Object.keys(shape).join(", ");
    return fail(
      "invalid_input",
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => quoted(k)).join(", ")}: this tool takes ${fields}`
    );
  }
  try {
    return await body();
  } catch (error) {
    return toFailure(error);
  }
}
