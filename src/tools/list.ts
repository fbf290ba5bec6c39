// list_background_tasks: what is running, waiting and done.

import { tool } from "ai";
import { z } from "zod";
import { isTaskStatus, TASK_STATUSES } from "../engine/status";
import { row, type ToolContext } from "./common";
import { fail, guard, quoted } from "./envelope";

const MAX_LIMIT = 50;

export function listTool(context: ToolContext) {
  const shape = {
    status: z
      .string()
      .optional()
      .describe(`Only tasks with this status: ${TASK_STATUSES.join(", ")}.`),
    limit: z.number().optional().describe(`How many (1 to ${MAX_LIMIT}, default 20).`)
  };
  return tool({
    description:
      "List background tasks, newest first: id, agent, title, status, attempts (runs a restart cut short are run again), runtime, progress, and where its notice stands (none, pending, delivered, failed).",
    inputSchema: z.looseObject(shape),
    execute: (input) =>
      guard(input, shape, async () => {
        if (input.status !== undefined && !isTaskStatus(input.status)) {
          return fail(
            "invalid_input",
            `status ${quoted(input.status)} is not one of ${TASK_STATUSES.join(", ")}`
          );
        }
        const limit = input.limit ?? 20;
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
          return fail("invalid_input", `limit must be an integer from 1 to ${MAX_LIMIT}`);
        }
        const { tasks } = context.engine.list({
          limit,
          ...(input.status === undefined ? {} : { status: input.status })
        });
        return { ok: true as const, tasks: tasks.map((task) => row(context, task)) };
      })
  });
}
