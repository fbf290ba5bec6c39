// schedule_background_task: start a task later, at a time or after a delay.

import { tool } from "ai";
import { z } from "zod";
import { agentAndTask, isFailure, type ToolContext, titleOf, toolKey } from "./common";
import { fail, guard, quoted } from "./envelope";

export function scheduleTool(context: ToolContext) {
  const shape = {
    agent: z.string(),
    task: z.string(),
    run_at: z.string().optional().describe("When to start, e.g. 2026-11-22T09:00:00Z."),
    delay_seconds: z.number().optional().describe("Or: start after this many seconds."),
    idempotency_key: z.string().optional()
  };
  return tool({
    description:
      "Schedule a background task to start later: at run_at (an ISO 8601 time) or after delay_seconds. It survives restarts, shows as scheduled, and can be cancelled before it starts.",
    inputSchema: z.looseObject(shape),
    execute: (input, { toolCallId }) =>
      guard(input, shape, async () => {
        const start = agentAndTask(context, input);
        if (isFailure(start)) return start;
        const { agent, task } = start;
        if ((input.run_at === undefined) === (input.delay_seconds === undefined)) {
          return fail("invalid_run_at", "give exactly one of run_at and delay_seconds");
        }
        let runAt: number;
        if (input.run_at !== undefined) {
          runAt = Date.parse(input.run_at);
          if (!Number.isFinite(runAt)) {
            return fail("invalid_run_at", `run_at ${quoted(input.run_at)} is not an ISO 8601 time`);
          }
        } else {
          const delay = input.delay_seconds ?? Number.NaN;
          if (!Number.isFinite(delay) || delay <= 0) {
            return fail("invalid_run_at", "delay_seconds must be a number above 0");
          }
          runAt = Date.now() + delay * 1000;
        }
        const key = toolKey(input.idempotency_key, toolCallId);
        if (isFailure(key)) return key;
        const started = await context.engine.start(agent.agent, {
          input: task,
          title: titleOf(task),
          idempotencyKey: key,
          runAt
        });
        const scheduled = context.engine.get(started.taskId);
        return {
          ok: true as const,
          task_id: started.taskId,
          status: started.status,
          run_at: scheduled?.runAt ? new Date(scheduled.runAt).toISOString() : null,
          deduped: started.deduped
        };
      })
  });
}
