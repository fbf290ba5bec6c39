// The board's view of a task (the BoardTask of the wire format): what the
// JSON API returns and what live updates push. Plain data; the page renders
// every field as text.

import { noticeState, outcomeText } from "../engine/notice";
import type { BackgroundTask } from "../engine/types";
import type { BoardTask } from "../wire/board";

export type { BoardTask };

const OUTCOME_PREVIEW_CHARS = 400;

export function boardTask(task: BackgroundTask, now = Date.now()): BoardTask {
  const outcome = outcomeText(task);
  const p = task.progress;
  return {
    id: task.id,
    agent: task.agent,
    title: task.title,
    status: task.status,
    giveUpReason: task.giveUpReason,
    cancelReason: task.cancelReason,
    createdAt: task.createdAt,
    runAt: task.runAt,
    startedAt: task.startedAt,
    endedAt: task.endedAt,
    runtimeMs: task.startedAt === null ? null : (task.endedAt ?? now) - task.startedAt,
    progress: p
      ? { fraction: p.fraction ?? null, message: p.message ?? null, phase: p.phase ?? null }
      : null,
    outcome: outcome === null ? null : outcome.slice(0, OUTCOME_PREVIEW_CHARS),
    attempts: task.attempts,
    notice: noticeState(task),
    prunedAt: task.prunedAt
  };
}
