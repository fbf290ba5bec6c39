// spawn_background_task: start a child in the background and carry on.

import { tool } from "ai";
import { z } from "zod";
import { DELIVERY_POLICIES, isDeliveryPolicy } from "../engine/status";
import {
  agentAndTask,
  budgetOf,
  isFailure,
  MAX_BUDGET_SECONDS,
  MAX_TASK_CHARS,
  type ToolContext,
  titleOf,
  toolKey
} from "./common";
import { fail, guard, quoted } from "./envelope";

export function spawnTool(context: ToolContext) {
  const shape = {
    agent: z.string().describe("Which agent does the work (one of the names above)."),
    task: z.string().describe("What the agent should do, in full: it sees nothing else."),
    expected_output: z.string().optional().describe("What a good result looks like."),
    idempotency_key: z
      .string()
      .optional()
      .describe("Reuse a key to get the same task back instead of starting another."),
    delivery: z
      .string()
      .optional()
      .describe(
        `How the result reaches you: ${DELIVERY_POLICIES.join(", ")}. Default react (a message that starts a turn).`
      ),
    after: z
      .array(z.string())
      .optional()
      .describe("Task ids that must complete first; if one fails, this task is cancelled."),
    budget_seconds: z
      .number()
      .optional()
      .describe(
        `Stop the task and give it up after this many seconds (1 to ${MAX_BUDGET_SECONDS}). Default ${Math.round(context.engine.options.budgetMs / 1000)}.`
      )
  };
  const agents = [...context.options.agents].map(([name, a]) => `- ${name}: ${a.description}`);
  return tool({
    description: `Start a task in the background with a helper agent and return at once. You keep working; when the task ends, its result arrives as a new message (a notice). Use it for slow work you do not need to wait for.\nAgents:\n${agents.join("\n")}`,
    inputSchema: z.looseObject(shape),
    execute: (input, { toolCallId }) =>
      guard(input, shape, async () => {
        const start = agentAndTask(context, input);
        if (isFailure(start)) return start;
        const { agent, task } = start;
        if (input.delivery !== undefined && !isDeliveryPolicy(input.delivery)) {
          return fail(
            "unknown_delivery_policy",
            `delivery ${quoted(input.delivery)} is not one of ${DELIVERY_POLICIES.join(", ")}`
          );
        }
        const key = toolKey(input.idempotency_key, toolCallId);
        if (isFailure(key)) return key;
        if ((input.expected_output?.length ?? 0) > MAX_TASK_CHARS) {
          return fail(
            "invalid_input",
            `expected_output is ${input.expected_output?.length} characters; the limit is ${MAX_TASK_CHARS}`
          );
        }
        const budget = budgetOf(input.budget_seconds);
        if (isFailure(budget)) return budget;
        const expected = input.expected_output?.trim();
        const started = await context.engine.start(agent.agent, {
          input: expected ? `${task}\n\nExpected output: ${expected}` : task,
          title: titleOf(task),
          idempotencyKey: key,
          ...(input.delivery === undefined ? {} : { delivery: input.delivery }),
          ...(input.after === undefined ? {} : { after: input.after }),
          ...(budget === undefined ? {} : { budgetMs: budget })
        });
        return {
          ok: true as const,
          task_id: started.taskId,
          status: started.status,
          deduped: started.deduped
        };
      })
  });
}
