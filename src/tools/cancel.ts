// cancel_background_task: stop a task, with the engine's honest outcome.

import { tool } from "ai";
import { z } from "zod";
import { isFailure, type ToolContext, taskIdOf } from "./common";
import { fail, guard } from "./envelope";

export function cancelTool(context: ToolContext) {
  const shape = { task_id: z.string() };
  return tool({
    description:
      'Cancel a background task (running or not started yet). Says "cancelled" if it was stopped, or "already-finished" with the outcome that won.',
    inputSchema: z.looseObject(shape),
    execute: (input) =>
      guard(input, shape, async () => {
        const taskId = taskIdOf(input.task_id);
        if (isFailure(taskId)) return taskId;
        const result = await context.engine.cancel(taskId);
        if (result.outcome === "not-found") {
          return fail("unknown_task", `no task "${taskId}"; list_background_tasks shows yours`);
        }
        return {
          ok: true as const,
          task_id: result.taskId,
          outcome: result.outcome,
          ...(result.outcome === "already-finished" ? { status: result.status } : {})
        };
      })
  });
}
