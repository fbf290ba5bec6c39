// useBackgroundTasks: a component's live view of one agent's background
// tasks, with cancel and retry-delivery, over the board socket (docs/board.md).
//
// It opens the agent's own WebSocket with the board flag through the SDK's
// `useAgent`: the same address options as the app's own connection (agent,
// name, host, basePath, a query for a token), PartySocket's reconnect with
// backoff, and no reconnecting after a close in 4000-4999, which is how the
// host refuses a connection its authorize hook denies (4403). Every
// connection starts with a snapshot, so a reconnect resyncs by itself.

import { useAgent } from "agents/react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { BoardTask, CancelResult, RetryDeliveryResult } from "../wire/board";
import {
  BOARD_FLAG,
  BOARD_UNAUTHORIZED,
  type BoardCommandType,
  parseBoardFrame
} from "../wire/board";
import { BackgroundCommandError, PendingCommands } from "./commands";
import { fromSnapshot, withTask } from "./task-list";

type Query = Record<string, string | null>;

export type UseBackgroundTasksOptions = {
  /** The agent's class, as `useAgent` takes it (`"Assistant"` or `"assistant"`). */
  agent: string;
  /** The agent instance (default `"default"`). */
  name?: string;
  /** Where the agent is served (default: the page's own host). */
  host?: string;
  /**
   * `"ws"` or `"wss"`. Default: the page's own scheme when `host` is not
   * given (PartySocket alone would pick `wss` for any host but a private one).
   */
  protocol?: "ws" | "wss";
  /** A path the app routes to the agent itself, as `useAgent`'s `basePath`. */
  basePath?: string;
  /**
   * More query parameters for the connection, for your `authorizeBackground`
   * (a token, say). A function is awaited first; the component must then sit
   * under a `<Suspense>`, as with `useAgent`.
   */
  query?: Query | (() => Promise<Query>);
  /** When a function `query` depends on values, list them here (as `useAgent`'s `queryDeps`). */
  queryDeps?: unknown[];
  /** false: no connection (status `"closed"`). Default true. */
  enabled?: boolean;
  /** How long a command waits for its reply before it fails with `timeout`. Default 30 000 ms. */
  commandTimeoutMs?: number;
};

/**
 * - `connecting`: not yet live (no snapshot on this connection yet);
 * - `live`: the snapshot arrived, and updates follow;
 * - `reconnecting`: the connection dropped; `tasks` is the last known list
 *   until the next snapshot replaces it;
 * - `unauthorized`: `authorizeBackground` refused it (4403); no reconnecting
 *   until `reconnect()`;
 * - `closed`: not enabled, or closed for good (another 4000-4999 code).
 */
export type BackgroundTasksStatus =
  | "connecting"
  | "live"
  | "reconnecting"
  | "unauthorized"
  | "closed";

export type BackgroundTasksView = {
  /** The agent's tasks, newest first: the snapshot's, then kept up to date. */
  tasks: BoardTask[];
  status: BackgroundTasksStatus;
  /**
   * Whether this connection may send commands: false when it was not opened
   * from the agent's own host (the Origin rule in docs/board.md).
   */
  canCommand: boolean;
  /** More tasks than the snapshot holds: page them with the JSON API from this cursor. */
  nextCursor: string | null;
  /** Cancel a task. Fails with a `BackgroundCommandError` (`code` says why). */
  cancel(taskId: string): Promise<CancelResult>;
  /** Put a task's failed notices back in line. Fails like `cancel`. */
  retryDelivery(taskId: string): Promise<RetryDeliveryResult>;
  /** Connect again now: after `unauthorized` (a user signed in), or to skip a backoff. */
  reconnect(): void;
};

type State = Pick<BackgroundTasksView, "tasks" | "status" | "canCommand" | "nextCursor">;

type Action =
  | { type: "reset" }
  | { type: "connecting" }
  | { type: "snapshot"; tasks: BoardTask[]; canCommand: boolean; nextCursor: string | null }
  | { type: "task"; task: BoardTask }
  | { type: "closed"; status: "reconnecting" | "unauthorized" | "closed" };

const INITIAL: State = { tasks: [], status: "connecting", canCommand: false, nextCursor: null };

function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "reset":
      return INITIAL;
    case "connecting":
      return { ...state, status: "connecting" };
    case "snapshot":
      return {
        tasks: fromSnapshot(action.tasks),
        status: "live",
        canCommand: action.canCommand,
        nextCursor: action.nextCursor
      };
    case "task":
      return { ...state, tasks: withTask(state.tasks, action.task) };
    case "closed":
      // A refused client is shown nothing it may no longer see.
      return action.status === "unauthorized"
        ? { ...INITIAL, status: "unauthorized" }
        : { ...state, status: action.status, canCommand: false };
  }
}

/** What the hook uses of the socket `useAgent` gives. */
type LiveSocket = {
  readonly readyState: number;
  readonly shouldReconnect: boolean;
  send(data: string): void;
  reconnect(): void;
};

const COMMAND_TIMEOUT_MS = 30_000;

/** The socket scheme that matches the page's own, in a browser; else undefined. */
function pageProtocol(): "ws" | "wss" | undefined {
  const page = (globalThis as { location?: { protocol?: string } }).location?.protocol;
  return page === "http:" ? "ws" : page === "https:" ? "wss" : undefined;
}
// WebSocket.OPEN, spelled out: the hook also loads where no WebSocket global is typed.
const OPEN = 1;

export function useBackgroundTasks(options: UseBackgroundTasksOptions): BackgroundTasksView {
  const { agent, name, host, basePath, query, queryDeps, enabled = true } = options;
  const protocol = options.protocol ?? (host === undefined ? pageProtocol() : undefined);
  const [state, dispatch] = useReducer(reduce, INITIAL);
  const [pending] = useState(() => new PendingCommands());
  const timeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  const socketRef = useRef<LiveSocket | null>(null);

  const boardQuery = useMemo<Query | (() => Promise<Query>)>(
    () =>
      typeof query === "function"
        ? async () => ({ ...(await query()), [BOARD_FLAG]: "1" })
        : { ...query, [BOARD_FLAG]: "1" },
    [query]
  );

  const socket = useAgent({
    agent,
    ...(name === undefined ? {} : { name }),
    ...(host === undefined ? {} : { host }),
    ...(basePath === undefined ? {} : { basePath }),
    ...(protocol === undefined ? {} : { protocol }),
    query: boardQuery,
    // useAgent caches a function query's answer by agent, name and these
    // deps: the flag keeps the app's own connection from sharing it.
    queryDeps: [...(queryDeps ?? []), BOARD_FLAG],
    enabled,
    shouldReconnectOnClose: (event: { code: number }) => event.code !== BOARD_UNAUTHORIZED,
    onMessage: (event: { data: unknown }) => {
      const frame = parseBoardFrame(event.data);
      if (!frame) return;
      if (frame.type === "background:snapshot") {
        dispatch({
          type: "snapshot",
          tasks: frame.tasks,
          canCommand: frame.canCommand === true,
          nextCursor: frame.nextCursor ?? null
        });
      } else if (frame.type === "background:task") {
        dispatch({ type: "task", task: frame.task });
      } else {
        pending.settle(frame);
      }
    },
    onClose: (event: { code: number; target?: unknown }) => {
      // A socket replaced by a new address closes too; only the current one counts.
      if (event.target && event.target !== socketRef.current) return;
      pending.failAll("disconnected", "the connection closed before the reply");
      const current = socketRef.current;
      dispatch({
        type: "closed",
        status:
          event.code === BOARD_UNAUTHORIZED
            ? "unauthorized"
            : current?.shouldReconnect
              ? "reconnecting"
              : "closed"
      });
    }
  });
  socketRef.current = socket;

  // A new address (or enabling again) starts from nothing: its snapshot follows.
  const address = JSON.stringify([
    agent,
    name ?? null,
    host ?? null,
    basePath ?? null,
    protocol ?? null,
    enabled
  ]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per address, on purpose
  useEffect(() => {
    return () => {
      dispatch({ type: "reset" });
      pending.failAll("disconnected", "the connection was replaced");
    };
  }, [address, pending]);

  const send = useCallback(
    <T extends BoardCommandType>(type: T, taskId: string) => {
      const current = socketRef.current;
      // Not queued for later: a cancel that runs minutes after the click would surprise.
      if (!current || current.readyState !== OPEN) {
        return Promise.reject(new BackgroundCommandError("disconnected", "not connected"));
      }
      return pending.send((frame) => current.send(frame), type, taskId, timeoutMs);
    },
    [pending, timeoutMs]
  );

  const cancel = useCallback((taskId: string) => send("background:cancel", taskId), [send]);
  const retryDelivery = useCallback(
    (taskId: string) => send("background:retry-delivery", taskId),
    [send]
  );
  const reconnect = useCallback(() => {
    dispatch({ type: "connecting" });
    socketRef.current?.reconnect();
  }, []);

  return {
    ...state,
    status: enabled ? state.status : "closed",
    cancel,
    retryDelivery,
    reconnect
  };
}
