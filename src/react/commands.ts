// Commands in flight on a board connection: each waits for the one reply that
// carries its request id, and fails when its connection closes or it times
// out. A command cut off by a close may or may not have run; cancel and
// retry-delivery are safe to send again.

import type { BoardCommandResults, BoardCommandType, BoardReplyFrame } from "../wire/board";

/**
 * Why a command failed: the host's refusal (`forbidden`, `not_found`,
 * `invalid_input`, `internal`, an engine error code), or the client's own
 * (`disconnected`: no live connection, or it closed before the reply;
 * `timeout`: no reply in time).
 */
export class BackgroundCommandError extends Error {
  override name = "BackgroundCommandError";
  readonly code: string;
  /** The field the host named, if any (`taskId`). */
  readonly field: string | undefined;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

type Pending = {
  resolve(result: BoardCommandResults[BoardCommandType]): void;
  reject(error: BackgroundCommandError): void;
  timer: ReturnType<typeof setTimeout>;
};

export class PendingCommands {
  #next = 0;
  readonly #pending = new Map<string, Pending>();

  /** Send a command through `transmit` and wait for its reply. */
  send<T extends BoardCommandType>(
    transmit: (frame: string) => void,
    type: T,
    taskId: string,
    timeoutMs: number
  ): Promise<BoardCommandResults[T]> {
    this.#next += 1;
    // Unique on its connection, which is the only place its reply can come from.
    const requestId = `c${this.#next}`;
    return new Promise<BoardCommandResults[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new BackgroundCommandError("timeout", `no reply to ${type} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(requestId, {
        resolve: resolve as Pending["resolve"],
        reject,
        timer
      });
      try {
        transmit(JSON.stringify({ type, requestId, taskId }));
      } catch (error) {
        this.#take(requestId);
        clearTimeout(timer);
        reject(new BackgroundCommandError("disconnected", `${type} could not be sent: ${error}`));
      }
    });
  }

  /** Settle the command `frame` answers; a reply to no pending command is dropped. */
  settle(frame: BoardReplyFrame): void {
    const pending = this.#take(frame.requestId);
    if (!pending) return;
    if ("error" in frame) {
      pending.reject(
        new BackgroundCommandError(frame.error.code, frame.error.message, frame.error.field)
      );
    } else {
      pending.resolve(frame.result);
    }
  }

  /** Fail every command still waiting (its connection closed). */
  failAll(code: string, message: string): void {
    for (const requestId of [...this.#pending.keys()]) {
      this.#take(requestId)?.reject(new BackgroundCommandError(code, message));
    }
  }

  #take(requestId: string): Pending | undefined {
    const pending = this.#pending.get(requestId);
    if (!pending) return undefined;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    return pending;
  }
}
