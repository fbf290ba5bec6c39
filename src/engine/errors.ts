// Named errors of the engine. Each carries a machine-readable `code`, and
// the field and limit it is about, so callers can branch without parsing text.

export type BackgroundErrorCode =
  | "invalid_option"
  | "invalid_input"
  | "limit_exceeded"
  | "unknown_agent"
  | "not_chat_agent"
  | "unknown_task"
  | "cycle";

/** What every refusal carries besides its message: the field, and what is wrong with it. */
type ErrorFields = { field?: string; detail?: string; cause?: unknown };

export class BackgroundError extends Error {
  override name = "BackgroundError";
  readonly code: BackgroundErrorCode;
  readonly field: string | undefined;
  /** The message without the field's name, to restate it under another field. */
  readonly detail: string;

  constructor(code: BackgroundErrorCode, message: string, options: ErrorFields = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.detail = options.detail ?? message;
  }
}

/**
 * A class's `backgroundOptions` or a tool set's options are wrong. Thrown once:
 * when the class first starts an engine, or when the tool set is made.
 */
export class InvalidOptionError extends BackgroundError {
  override name = "InvalidOptionError";
  constructor(option: string, message: string) {
    super("invalid_option", `option "${option}": ${message}`, { field: option });
  }
}

/** A call's argument is wrong. Nothing was written. */
export class InvalidInputError extends BackgroundError {
  override name = "InvalidInputError";
  constructor(field: string, message: string) {
    super("invalid_input", `${field}: ${message}`, { field, detail: message });
  }
}

/** A call would pass a configured limit. Nothing was written. */
export class LimitExceededError extends BackgroundError {
  override name = "LimitExceededError";
  readonly limit: number;
  constructor(field: string, limit: number, message: string) {
    super("limit_exceeded", `${field}: ${message} (limit ${limit})`, { field, detail: message });
    this.limit = limit;
  }
}

/** A task id given as input (a dependency) is not a task of this agent. */
export class UnknownTaskError extends BackgroundError {
  override name = "UnknownTaskError";
  readonly taskId: string;
  constructor(field: string, taskId: string) {
    super("unknown_task", `${field}: no task "${taskId}" on this agent`, {
      field,
      detail: `no task "${taskId}" on this agent`
    });
    this.taskId = taskId;
  }
}

/** Dependencies would form a cycle: no task in it could ever start. */
export class CycleError extends BackgroundError {
  override name = "CycleError";
  constructor(field: string, message: string) {
    super("cycle", `${field}: ${message}`, { field, detail: message });
  }
}

/** The child class cannot be run here (not exported, or not a chat agent). */
export class UnknownAgentError extends BackgroundError {
  override name = "UnknownAgentError";
  constructor(code: "unknown_agent" | "not_chat_agent", message: string) {
    super(code, `agent: ${message}`, { field: "agent", detail: message });
  }
}
