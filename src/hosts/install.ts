// Wiring shared by the host base classes: resolve the class's options once,
// create the engine, and hook the SDK's lifecycle so that a subclass never
// has to forward anything by hand.

import type { Agent, AgentToolLifecycleResult, AgentToolRunInfo } from "agents";
import { BackgroundEngine } from "../engine/engine";
import type { EngineHost } from "../engine/host";
import { type BackgroundOptions, type ResolvedOptions, resolveOptions } from "../engine/options";

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
  beforeTurn?(ctx: { requestId?: string }): unknown;
  onChatResponse?(result: { requestId?: string }): unknown;
  onAgentToolFinish(run: AgentToolRunInfo, result: AgentToolLifecycleResult): Promise<void>;
  onProgress(run: AgentToolRunInfo, progress: unknown): Promise<void>;
};

/**
 * Create the engine for `host` and hook it in. The hooks are wrapped on the
 * instance, after the SDK has captured the class's own `onStart`, so that a
 * subclass overriding them without calling `super` still feeds the engine.
 */
export function installBackground(
  host: Agent<Cloudflare.Env>,
  ctx: DurableObjectState,
  onChange: (taskId: string) => void
): BackgroundEngine {
  const engine = new BackgroundEngine(
    host as unknown as EngineHost,
    ctx,
    optionsOf(host.constructor as HostClass),
    onChange
  );
  const hooks = host as unknown as Hooks;

  const start = hooks.onStart.bind(host);
  hooks.onStart = async (props?: unknown) => {
    const result = await start(props);
    await engine.recover().catch((error: unknown) => {
      console.error("[agents-background] recovery after start failed", error);
    });
    return result;
  };

  const finish = hooks.onAgentToolFinish.bind(host);
  hooks.onAgentToolFinish = async (run, result) => {
    await engine.observeFinish(run, result).catch((error: unknown) => {
      console.error("[agents-background] observing a finished run failed", error);
    });
    await finish(run, result);
  };

  const progress = hooks.onProgress.bind(host);
  hooks.onProgress = async (run, snapshot) => {
    engine.observeProgress(run, snapshot);
    await progress(run, snapshot);
  };

  // Think hosts: know when a turn runs, so next-turn and digest notices wait for its end.
  if (typeof hooks.beforeTurn === "function" && typeof hooks.onChatResponse === "function") {
    const before = hooks.beforeTurn.bind(host);
    hooks.beforeTurn = (turn) => {
      if (turn.requestId) engine.turnStarted(turn.requestId);
      return before(turn);
    };
    const after = hooks.onChatResponse.bind(host);
    hooks.onChatResponse = async (result) => {
      try {
        return await after(result);
      } finally {
        if (result.requestId) {
          ctx.waitUntil(
            engine.turnEnded(result.requestId).catch((error: unknown) => {
              console.error("[agents-background] delivering held notices failed", error);
            })
          );
        }
      }
    };
  }

  return engine;
}
