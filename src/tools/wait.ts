// wait_background_tasks: block (bounded) until all or any of several tasks end.

import { tool } from "ai";
import { z } from "zod";
import { isFailure, type ToolContext, taskIdOf } from "./common";
import { fail, guard } from "./envelope";

export function waitTool(context: ToolContext) {
  const cap = context.options.maxWaitMs;
  const shape = {
    task_ids: z.array(z.string()),
    mode: z.string().optional().describe('"all" (default) or "any".'),
    timeout_ms: z.number().describe(`At most ${cap}.`)
  };
  return tool({
    description: `Wait until all (or any) of several background tasks have ended, at most timeout_ms (cap ${cap} ms). Returns each task's status, done or not.`,
    inputSchema: z.looseObject(shape),
    execute: (input) =>
      guard(input, shape, async () => {
        const mode = input.mode ?? "all";
        if (mode !== "all" && mode !== "any")
          return fail("invalid_input", 'mode must be "all" or "any"');
        if (input.task_ids.length === 0) return fail("invalid_input", "task_ids must name a task");
        if (input.task_ids.length > context.options.maxWaitTasks) {
          return fail(
            "invalid_input",
            `task_ids may name at most ${context.options.maxWaitTasks} tasks`
          );
        }
        if (!Number.isFinite(input.timeout_ms) || input.timeout_ms < 0) {
          return fail("invalid_input", "timeout_ms must be a number of milliseconds, 0 or more");
        }
        if (input.timeout_ms > cap) {
          return fail(
            "timeout_over_cap",
            `timeout_ms ${input.timeout_ms} is over the cap of ${cap} ms`
          );
        }
        for (const id of input.task_ids) {
          const checked = taskIdOf(id, "task_ids");
          if (isFailure(checked)) return checked;
        }
        // An id that is not this agent's task is refused by the engine (unknown_task).
        const waited = await context.engine.waitFor(input.task_ids, {
          mode,
          timeoutMs: input.timeout_ms
        });
        return {
          ok: true as const,
          done: waited.done,
          tasks: waited.tasks.map((t) => ({ task_id: t.id, status: t.status }))
        };
      })
  });
}
