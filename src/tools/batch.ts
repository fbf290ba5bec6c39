// batch_background_tasks: one agent over many items, a few at a time.

import { tool } from "ai";
import { z } from "zod";
import { findAgent, isFailure, type ToolContext, taskText, titleOf, toolKey } from "./common";
import { fail, guard, quoted } from "./envelope";

export function batchTool(context: ToolContext) {
  const shape = {
    agent: z.string(),
    items: z.array(z.string()).describe("One entry per task."),
    instructions: z.string().describe("What to do with each item."),
    max_concurrency: z.number().describe("How many run at once."),
    delivery: z.string().describe('"each" or "all".')
  };
  const maxItems = context.engine.options.maxBatchItems;
  return tool({
    description: `Run one agent over many items in the background (at most ${maxItems}), at most max_concurrency at once; the rest wait their turn. delivery "each" sends a notice per item; "all" sends one notice when every item has ended, with each item's outcome.`,
    inputSchema: z.looseObject(shape),
    execute: (input, { toolCallId }) =>
      guard(input, shape, async () => {
        const agent = findAgent(context, input.agent);
        if (isFailure(agent)) return agent;
        const instructions = taskText(input.instructions, "instructions");
        if (isFailure(instructions)) return instructions;
        if (input.items.length === 0)
          return fail("empty_task", "items must name at least one item");
        if (input.items.length > maxItems) {
          return fail(
            "too_many_items",
            `${input.items.length} items; a batch takes at most ${maxItems}`
          );
        }
        const items: { input: string; title: string }[] = [];
        for (const [i, item] of input.items.entries()) {
          const text = taskText(item, `items[${i}]`);
          if (isFailure(text)) return text;
          items.push({
            input: `${instructions}\n\nItem: ${text}`,
            title: titleOf(text)
          });
        }
        if (input.delivery !== "each" && input.delivery !== "all") {
          return fail(
            "unknown_delivery_policy",
            `delivery ${quoted(input.delivery)} must be "each" or "all"`
          );
        }
        const key = toolKey(undefined, toolCallId);
        if (isFailure(key)) return key;
        const batch = await context.engine.startBatch(agent.entry.agent, {
          items,
          instructions,
          maxConcurrency: input.max_concurrency,
          delivery: input.delivery,
          idempotencyKey: key
        });
        return {
          ok: true as const,
          batch_id: batch.batchId,
          task_ids: batch.taskIds,
          deduped: batch.deduped
        };
      })
  });
}
