// backgroundTools: the model's background-task tools, in one call.

import type { ToolSet } from "ai";
import type { BackgroundTasks } from "../engine/engine";
import { batchTool } from "./batch";
import { cancelTool } from "./cancel";
import { checkTool } from "./check";
import type { ToolContext } from "./common";
import { listTool } from "./list";
import { resolveToolSetOptions, type ToolSetOptions } from "./options";
import { scheduleTool } from "./schedule";
import { spawnTool } from "./spawn";
import { waitTool } from "./wait";

/**
 * The tools a model uses to put work in the background and follow it: spawn,
 * list, check (with a bounded wait), wait for several, cancel, schedule and
 * batch. Every tool returns `{ ok: true, ... }` or
 * `{ ok: false, error: { code, message, retryable } }`; none throws.
 *
 * ```ts
 * override getTools() {
 *   return backgroundTools(this, { agents: { researcher: { agent: Researcher, description: "…" } } });
 * }
 * ```
 */
export function backgroundTools(
  host: { readonly background: BackgroundTasks },
  options: ToolSetOptions
): ToolSet {
  const resolved = resolveToolSetOptions(options);
  const context: ToolContext = { engine: host.background, options: resolved };
  const { names } = resolved;
  return {
    [names.spawn]: spawnTool(context),
    [names.list]: listTool(context),
    [names.check]: checkTool(context),
    [names.wait]: waitTool(context),
    [names.cancel]: cancelTool(context),
    [names.schedule]: scheduleTool(context),
    [names.batch]: batchTool(context)
  };
}
