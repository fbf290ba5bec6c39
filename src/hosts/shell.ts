// The host shell: what makes any Agent class a host of background tasks.
// One mixin for every host; what differs between hosts (how a notice
// reaches the chat, how a turn is seen to run) comes in as a chat adapter.
//
// The engine is created with the instance, and the SDK's lifecycle hooks
// are wrapped on the instance (after the SDK has captured the class's own),
// so a subclass that overrides one without calling `super` still feeds it.

import type {
  Agent,
  AgentPathStep,
  AgentToolLifecycleResult,
  AgentToolProgressSnapshot,
  AgentToolRunInfo,
  Connection,
  ConnectionContext,
  WSMessage
} from "agents";
import type { AuthorizeResult } from "../board/access";
import { handleBoardRequest } from "../board/api";
import { acceptBoardConnection, boardTags, guardDrillIn, publishTask } from "../board/hooks";
import { handleBoardMessage } from "../board/socket";
import { BackgroundEngine, type BackgroundTasks } from "../engine/engine";
import { type ChatDelivery, type HostPort, logError } from "../engine/host";
import { type BackgroundNotice, defaultNoticeText, type FinishNotice } from "../engine/notice";
import { type BackgroundOptions, type ResolvedOptions, resolveOptions } from "../engine/options";

/** What a chat host adds: the way in for notices, and a view of its turns. */
export type ChatAdapter = {
  delivery(host: object, ctx: DurableObjectState): ChatDelivery;
  /** Call `started` and `ended` around every turn of `host`. */
  watchTurns(
    host: object,
    turns: { started(requestId: string): void; ended(requestId: string): void }
  ): void;
  /** Anything else the chat needs on each instance (guards, recovery after a restart). */
  install?(host: object, ctx: DurableObjectState): void;
};

/** What every host of background tasks has. */
export type BackgroundHost = {
  /** Start, read, wait on and cancel background tasks. */
  readonly background: BackgroundTasks;
  /** The text of a notice. Override to word it your way; return "" to send none. */
  renderBackgroundNotice(notice: BackgroundNotice): string;
  /**
   * Who may use the task board, its JSON API and drill-in to children. Denies
   * by default: override it (for example with `isLocalRequest(request)`).
   * Return true, false (403) or a Response of your own.
   */
  authorizeBackground(request: Request): AuthorizeResult | Promise<AuthorizeResult>;
  /** The backbone's scheduled callback. Called by the scheduler, not by you. */
  backgroundTick(payload?: { step?: number }): Promise<void>;
};

type AgentClass = typeof Agent<Cloudflare.Env, unknown, object>;

/** A host class may declare `static backgroundOptions`; they are validated once per class. */
type HostClass = { backgroundOptions?: BackgroundOptions };

const resolved = new WeakMap<object, ResolvedOptions>();

function optionsOf(ctor: HostClass): ResolvedOptions {
  let options = resolved.get(ctor);
  if (!options) {
    options = resolveOptions(ctor.backgroundOptions);
    resolved.set(ctor, options);
  }
  return options;
}

type Hooks = {
  onStart(props?: unknown): unknown;
  onAgentToolFinish(run: AgentToolRunInfo, result: AgentToolLifecycleResult): Promise<void>;
  onProgress(run: AgentToolRunInfo, progress: AgentToolProgressSnapshot): Promise<void>;
};

/** Wrap `name` on the instance: `before` runs first and never breaks the hook. */
function around<K extends keyof Hooks>(
  host: Hooks,
  name: K,
  before: (...args: Parameters<Hooks[K]>) => unknown
): void {
  const original = (host[name] as (...args: Parameters<Hooks[K]>) => unknown).bind(host);
  const wrapped = async (...args: Parameters<Hooks[K]>) => {
    try {
      await before(...args);
    } catch (error) {
      logError(`the ${name} hook failed`, error);
    }
    return original(...args);
  };
  (host as Record<K, unknown>)[name] = wrapped;
}

/**
 * Remove the SDK's agent-tool run rows of these runs. The SDK offers
 * `clearAgentToolRuns` by age and status only, which would also clear an
 * application's own runs; so the rows are removed by run id.
 */
function forgetRuns(ctx: DurableObjectState, runIds: readonly string[]): void {
  if (!sdkRunTable(ctx)) return;
  for (const runId of runIds) {
    ctx.storage.sql.exec("DELETE FROM cf_agent_tool_runs WHERE run_id = ?", runId);
  }
}

function sdkRunTable(ctx: DurableObjectState): boolean {
  return (
    ctx.storage.sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cf_agent_tool_runs'")
      .toArray().length > 0
  );
}

/** Runs the SDK marks `running`: it does so once its call handing the run to the child returned. */
function runsTaken(ctx: DurableObjectState, runIds: readonly string[]): string[] {
  if (runIds.length === 0 || !sdkRunTable(ctx)) return [];
  return ctx.storage.sql
    .exec<{ run_id: string }>(
      `SELECT run_id FROM cf_agent_tool_runs
       WHERE status = 'running' AND run_id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(runIds)
    )
    .toArray()
    .map((row) => row.run_id);
}

/**
 * What `withBackground` makes: an Agent class with background tasks. Each
 * host re-types it with its base's generics (see think.ts).
 */
export type BackgroundHostClass = (abstract new (
  ctx: DurableObjectState,
  env: Cloudflare.Env
) => Agent<Cloudflare.Env, unknown, object> & BackgroundHost) & {
  backgroundOptions: BackgroundOptions | undefined;
};

export function withBackground(Base: AgentClass, chat: ChatAdapter | null): BackgroundHostClass {
  const engines = new WeakMap<object, BackgroundEngine>();

  abstract class WithBackground extends Base implements BackgroundHost {
    static backgroundOptions: BackgroundOptions | undefined;

    readonly background: BackgroundTasks = install(this, this.ctx);

    renderBackgroundNotice(notice: BackgroundNotice): string {
      return defaultNoticeText(notice);
    }

    authorizeBackground(_request: Request): AuthorizeResult | Promise<AuthorizeResult> {
      return false;
    }

    async backgroundTick(payload?: { step?: number }): Promise<void> {
      await engines.get(this)?.tick(payload);
    }

    /** The SDK's housekeeping sweep under way, if any. */
    #sweep: Promise<void> | null = null;

    /**
     * After every alarm the SDK sweeps the children with a turn in progress,
     * calling each in turn. With hundreds of busy children that held the
     * alarm for seconds, and the chat's submissions (notices among them) wait
     * for the alarm. So the sweep runs beside the alarm, one at a time: an
     * alarm while one is under way adds none, and the SDK sweeps again on its
     * own housekeeping alarm while any child is busy.
     */
    override _onAlarmHousekeeping(): Promise<void> {
      if (this.#sweep === null) {
        this.#sweep = super
          ._onAlarmHousekeeping()
          .catch((error: unknown) => logError("the SDK's housekeeping sweep failed", error))
          .finally(() => {
            this.#sweep = null;
          });
      }
      return Promise.resolve();
    }

    /**
     * The sweep asks each child with a run in progress to resume what a
     * restart cut short. A child whose run was handed to it here and is still
     * followed live here has nothing cut short (it runs in this process), so
     * it answers "busy" without a call: a sweep over hundreds of busy
     * children no longer calls each. A run re-attached after a restart, and
     * any deeper path, is asked as before.
     */
    override _cf_checkRunFibersForFacet(ownerPath: ReadonlyArray<AgentPathStep>): Promise<number> {
      const self = this.selfPath;
      const child = ownerPath[self.length];
      const ours =
        child !== undefined &&
        ownerPath.length === self.length + 1 &&
        self.every(
          (step, i) =>
            step.className === ownerPath[i]?.className && step.name === ownerPath[i]?.name
        ) &&
        engines.get(this)?.followsSinceDispatch(child.className, child.name) === true;
      return ours ? Promise.resolve(1) : super._cf_checkRunFibersForFacet(ownerPath);
    }

    override async onRequest(request: Request): Promise<Response> {
      return (await handleBoardRequest(this, request)) ?? super.onRequest(request);
    }

    override getConnectionTags(
      connection: Connection,
      ctx: ConnectionContext
    ): string[] | Promise<string[]> {
      const tags = super.getConnectionTags(connection, ctx);
      return Array.isArray(tags)
        ? [...tags, ...boardTags(ctx)]
        : Promise.resolve(tags).then((t) => [...t, ...boardTags(ctx)]);
    }

    override async onConnect(connection: Connection, ctx: ConnectionContext): Promise<void> {
      if (await acceptBoardConnection(this, connection, ctx)) return;
      return super.onConnect(connection, ctx);
    }

    /** A board connection's commands (board/socket.ts); every other frame goes on to the agent. */
    override async onMessage(connection: Connection, message: WSMessage): Promise<void> {
      if (await handleBoardMessage(this, connection, message)) return;
      return super.onMessage(connection, message);
    }

    override async onBeforeSubAgent(
      request: Request,
      child: { className: string; name: string }
    ): ReturnType<Agent["onBeforeSubAgent"]> {
      return (await guardDrillIn(this, request, child)) ?? super.onBeforeSubAgent(request, child);
    }
  }

  /**
   * The application's own method `name`: a function on the host that no
   * library or SDK class above it has, so a task can never be made to call
   * `destroy`, `backgroundTick` or any other method with a notice.
   * (Checked by name, not by owner: the SDK copies methods onto subclasses.)
   */
  function callback(host: object, name: string): ((notice: FinishNotice) => unknown) | null {
    const method = (host as Record<string, unknown>)[name];
    if (
      name === "constructor" ||
      typeof method !== "function" ||
      name in WithBackground.prototype
    ) {
      return null;
    }
    return (notice) => (method as (n: FinishNotice) => unknown).call(host, notice);
  }

  function install(host: WithBackground, ctx: DurableObjectState): BackgroundTasks {
    const port: HostPort = {
      agent: host as unknown as HostPort["agent"],
      chat: chat?.delivery(host, ctx) ?? null,
      name: host.constructor.name,
      instanceName: () => host.name,
      render: (notice) => host.renderBackgroundNotice(notice),
      callback: (name) => callback(host, name),
      forgetRuns: (runIds) => forgetRuns(ctx, runIds),
      runsTaken: (runIds) => runsTaken(ctx, runIds)
    };
    const engine = new BackgroundEngine(
      port,
      ctx,
      optionsOf(host.constructor as HostClass),
      (taskId) => publishTask(host, taskId)
    );
    engines.set(host, engine);
    const hooks = host as unknown as Hooks;
    const onStart = hooks.onStart.bind(host);
    hooks.onStart = async (props?: unknown) => {
      const result = await onStart(props);
      await engine
        .recover()
        .catch((error: unknown) => logError("recovery after start failed", error));
      return result;
    };
    around(hooks, "onAgentToolFinish", (run, result) =>
      engine.sdkFinished(run.runId, result.status, run.completedAt)
    );
    around(hooks, "onProgress", (run, progress) => engine.progress(run.runId, progress));
    chat?.install?.(host, ctx);
    chat?.watchTurns(host, {
      started: (requestId) => engine.turnStarted(requestId),
      ended: (requestId) => {
        ctx.waitUntil(
          engine
            .turnEnded(requestId)
            .catch((error: unknown) => logError("delivering held notices failed", error))
        );
      }
    });
    return engine;
  }

  return WithBackground;
}
