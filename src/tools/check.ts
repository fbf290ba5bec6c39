// check_background_task: one task's status, live progress, and its output
// when done; optionally waiting (bounded) for it to end.

import { tool } from "ai";
import { z } from "zod";
import { isEnded } from "../engine/status";
import {
  agentName,
  isFailure,
  outputPage,
  progressView,
  runtimeMs,
  type ToolContext,
  taskIdOf
} from "./common";
import { fail, guard } from "./envelope";

export function checkTool(context: ToolContext) {
  const cap = context.options.maxWaitMs;
  const shape = {
    task_id: z.string(),
    wait: z.boolean().optional().describe("Wait for the task to end (bounded by timeout_ms)."),
    timeout_ms: z
      .number()
      .optional()
      .describe(`How long to wait, at most ${cap} ms (default ${cap}).`),
    offset: z.number().optional().describe("Where to start reading the output (default 0).")
  };
  return tool({
    description: `Check one background task: status and live progress while it runs, its output when done. With wait: true, block until it ends or timeout_ms passes (at most ${cap} ms). Long output comes in pages: pass offset to read on.`,
    inputSchema: z.looseObject(shape),
    execute: (input) =>
      guard(input, shape, async () => {
        const timeout = input.timeout_ms ?? cap;
        if (!Number.isFinite(timeout) || timeout < 0) {
          return fail("invalid_input", "timeout_ms must be a number of milliseconds, 0 or more");
        }
        if (timeout > cap) {
          return fail("timeout_over_cap", `timeout_ms ${timeout} is over the cap of ${cap} ms`);
        }
        const offset = input.offset ?? 0;
        if (!Number.isInteger(offset) || offset < 0) {
          return fail("invalid_input", "offset must be an integer, 0 or more");
        }
        const taskId = taskIdOf(input.task_id);
        if (isFailure(taskId)) return taskId;
        let timedOut = false;
        // An unknown id: waitFor refuses it (unknown_task), and refresh finds nothing.
        if (input.wait) {
          const waited = await context.engine.waitFor([taskId], {
            mode: "all",
            timeoutMs: timeout
          });
          timedOut = !waited.done;
        }
        const task = await context.engine.refresh(taskId);
        if (!task) {
          return fail("unknown_task", `no task "${taskId}"; list_background_tasks shows yours`);
        }
        return {
          ok: true as const,
          task_id: task.id,
          agent: agentName(context, task.agent),
          title: task.title,
          status: task.status,
          attempts: task.attempts,
          runtime_ms: runtimeMs(task),
          ...(input.wait ? { timed_out: timedOut } : {}),
          ...(task.prunedAt !== null
            ? { pruned: true, note: "pruned: only the start of its outcome is kept" }
            : {}),
          ...(isEnded(task.status)
            ? outputPage(task, offset, context.options.outputPageChars)
            : { progress: progressView(task) })
        };
      })
  });
}
