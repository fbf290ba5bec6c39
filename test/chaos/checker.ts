// The checker: holds every task of a round to its plan, and every notice to
// the chat. Pure (it reads what the round collected), so the same code
// decides when a round has settled and what went wrong, and a planted fault
// can be shown to be caught.
//
// A notice counts only once it is in the parent's chat (the transcript, read
// by its stamp), not when the engine marked it delivered. One that never got
// there is lost; one that got there slowly is late, and reported with its
// latency (from its slot opening to its message being in the chat).

import type { ChaosNotice, ChaosSlot, ChaosTask, ChaosView } from "../worker/index";
import { type CancelReply, intended, promisesWork, type TaskPlan } from "./plan";
import type { RoundCheck } from "./report";

/** A notice slower than this from its slot opening to the chat is late. */
export const LATE_MS = 10_000;

const UNFINISHED = new Set(["running", "waiting", "scheduled"]);

export type TaskRecord = {
  plan: TaskPlan;
  cell: string;
  /** Index of its parent in the round's views. */
  parent: number;
  /** Null when no start of it was ever answered. */
  taskId: string | null;
  /** Set once the plan's cancel was made: its last answer (null: none ever came). */
  cancel?: CancelReply | null;
  /** The child's own status of its run, read after the round settled. */
  child?: string | null;
};

/** A batch delivered "all": one notice for the whole batch, listing every item. */
export type BatchRecord = { parent: number; batchId: string; taskIds: string[] };

export type RoundFacts = {
  label: string;
  tasks: readonly TaskRecord[];
  batches: readonly BatchRecord[];
  views: readonly ChaosView[];
  /** When the harness first saw each notice message in the chat: `${parent}:${id}` → ms. */
  firstSeen: ReadonlyMap<string, number>;
};

export function seenKey(parent: number, messageId: string): string {
  return `${parent}:${messageId}`;
}

/**
 * The notices the chat must hold for a task, and why its outcome is wrong
 * (null when right). When the outcome is wrong, the notices are held to what
 * the ledger says happened instead, so a wrong outcome is counted once, as
 * an outcome, and its notices are still checked for loss and duplicates.
 */
export function expectationOf(
  record: TaskRecord,
  view: ChaosView | undefined
): { task: ChaosTask | null; notices: string[]; wrong: string | null } {
  const task = view?.tasks.find((t) => t.id === record.taskId) ?? null;
  if (!task || !view) return { task: null, notices: [], wrong: "the task was never recorded" };
  const verdict = intended(record.plan, {
    status: task.status,
    giveUpReason: task.giveUpReason,
    cancelReason: task.cancelReason,
    error: task.error,
    summary: task.summary,
    ...(record.cancel === undefined ? {} : { cancel: record.cancel }),
    ...(record.child === undefined ? {} : { child: record.child })
  });
  if (verdict.wrong === null) return { task, notices: verdict.notices, wrong: null };
  const opened = view.slots
    .filter((s) => s.subjectId === task.id && s.policy !== "silent")
    .map((s) => s.status);
  return { task, notices: opened, wrong: verdict.wrong };
}

/**
 * Whether a parent's backbone is as idle as it should be: no job, or one
 * kept for a task given up as lost within its budget (its late run may
 * still come, and a restart may cut its hand-over).
 */
function backboneIdle(view: ChaosView, now: number): boolean {
  return view.ticks === 0 || view.tasks.some((t) => t.lateUntil !== null && t.lateUntil > now);
}

/**
 * Whether the round has settled: every task ended (a late run that was
 * given up is waited on for its result), every notice owed is out of the
 * ledger's hands (delivered or failed), every notice expected is in the
 * chat, and every backbone is idle.
 */
export function isSettled(facts: RoundFacts): boolean {
  const now = Date.now();
  for (const view of facts.views) {
    if (!backboneIdle(view, now)) return false;
    if (view.slots.some((s) => s.deliveredAt === null && s.failedAt === null)) return false;
  }
  for (const record of facts.tasks) {
    const view = facts.views[record.parent];
    const { task, notices } = expectationOf(record, view);
    if (!task || !view || UNFINISHED.has(task.status)) return false;
    if (record.plan.outcome === "late" && task.status === "gave_up") return false;
    const chat = view.chat.filter((m) => m.taskId === task.id);
    if (notices.some((status) => !chat.some((m) => m.status === status))) return false;
  }
  return facts.batches.every((b) =>
    facts.views[b.parent]?.chat.some((m) => m.taskId === b.batchId)
  );
}

/**
 * Whether the engine has nothing in flight for the round: every task ended,
 * no notice owed, no backbone job at all (one kept for a late run is
 * something in flight). A round at rest that has not settled is missing
 * something nothing is on its way to bring.
 */
export function atRest(facts: RoundFacts): boolean {
  return (
    facts.views.every(
      (view) =>
        view.ticks === 0 && view.slots.every((s) => s.deliveredAt !== null || s.failedAt !== null)
    ) &&
    facts.tasks.every((record) => {
      const task = facts.views[record.parent]?.tasks.find((t) => t.id === record.taskId);
      return task !== undefined && !UNFINISHED.has(task.status);
    })
  );
}

/** Hold every task to its plan and every notice to the chat. */
export function check(facts: RoundFacts): RoundCheck {
  const out: RoundCheck = {
    tasks: facts.tasks.length,
    expected: 0,
    inChat: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    late: [],
    latenciesMs: [],
    stagesMs: { toSubmission: [], toChat: [], toSighting: [] },
    failedDeliveries: 0,
    wrongOutcomes: 0,
    lostWork: 0,
    backboneNotIdle: 0,
    attempts: {},
    failures: []
  };
  const claimed = new Set<string>();

  const notices = (
    parent: number,
    view: ChaosView,
    subjectId: string,
    expected: string[],
    cell: string
  ): string[] => {
    const problems: string[] = [];
    const chat = view.chat.filter((m) => m.taskId === subjectId);
    for (const m of chat) claimed.add(seenKey(parent, m.id));
    out.expected += expected.length;
    for (const status of expected) {
      const copies = chat.filter((m) => m.status === status);
      const first = copies[0];
      if (!first) {
        out.lost++;
        problems.push(`${status} notice lost`);
        continue;
      }
      out.inChat++;
      if (copies.length > 1) {
        out.duplicated += copies.length - 1;
        problems.push(`${status} notice ${copies.length} times`);
      }
      const latency = latencyOf(facts, parent, view.slots, subjectId, first, out.stagesMs);
      if (latency !== null) {
        out.latenciesMs.push(latency);
        if (latency > LATE_MS)
          out.late.push({ cell, taskId: subjectId, status, latencyMs: latency });
      }
    }
    for (const m of chat) {
      if (!expected.includes(m.status)) {
        out.unexpected++;
        problems.push(`unexpected ${m.status} notice`);
      }
    }
    return problems;
  };

  for (const record of facts.tasks) {
    const view = facts.views[record.parent];
    const { task, notices: expected, wrong } = expectationOf(record, view);
    const problems: string[] = [];
    if (wrong !== null) {
      out.wrongOutcomes++;
      if (promisesWork(record.plan)) out.lostWork++;
      problems.push(wrong);
    }
    if (task && view) {
      const at = out.attempts[task.status] ?? {};
      at[String(task.attempts)] = (at[String(task.attempts)] ?? 0) + 1;
      out.attempts[task.status] = at;
      problems.push(...notices(record.parent, view, task.id, expected, record.cell));
      const failed = view.slots.filter((s) => s.subjectId === task.id && s.failedAt !== null);
      out.failedDeliveries += failed.length;
      for (const s of failed) problems.push(`${s.slot} notice failed: ${s.lastError ?? "?"}`);
    }
    if (problems.length > 0) {
      out.failures.push(
        `${facts.label} ${record.cell} ${record.taskId ?? record.plan.key}: ${problems.join("; ")} | ${describe(task, view, record)}`
      );
    }
  }

  for (const batch of facts.batches) {
    const view = facts.views[batch.parent];
    if (!view) continue;
    const label = `${facts.label} batch ${batch.batchId}`;
    const problems = notices(batch.parent, view, batch.batchId, ["ended"], "batch");
    const listed = view.chat.find((m) => m.taskId === batch.batchId)?.taskIds ?? [];
    if (listed.length > 0 && [...listed].sort().join() !== [...batch.taskIds].sort().join()) {
      problems.push(`the batch notice lists ${listed.length} of ${batch.taskIds.length} items`);
    }
    const failed = view.slots.filter((s) => s.subjectId === batch.batchId && s.failedAt !== null);
    out.failedDeliveries += failed.length;
    if (failed.length > 0) problems.push("batch notice failed");
    if (problems.length > 0) out.failures.push(`${label}: ${problems.join("; ")}`);
  }

  const now = Date.now();
  facts.views.forEach((view, parent) => {
    if (!backboneIdle(view, now)) {
      out.backboneNotIdle++;
      out.failures.push(`${facts.label} parent ${parent}: backbone not idle (${view.ticks} jobs)`);
    }
    for (const m of view.chat) {
      if (claimed.has(seenKey(parent, m.id))) continue;
      out.unexpected++;
      out.failures.push(
        `${facts.label} parent ${parent}: a ${m.status} notice for ${m.taskId}, no task of the round`
      );
    }
  });
  return out;
}

/**
 * From the slot's opening to its message being in the chat: when Think put
 * the submission's messages in the chat, or else when the harness first saw
 * it there. Each stage is kept apart: to the submission (the engine), to the
 * chat (Think's turn queue), and to the harness seeing it (its polling).
 */
function latencyOf(
  facts: RoundFacts,
  parent: number,
  slots: readonly ChaosSlot[],
  subjectId: string,
  message: ChaosNotice,
  stages: RoundCheck["stagesMs"]
): number | null {
  const slot = slots.find((s) => s.subjectId === subjectId && s.status === message.status);
  const seen = facts.firstSeen.get(seenKey(parent, message.id));
  if (!slot) return null;
  const { openedAt, submittedAt, appliedAt } = slot;
  if (submittedAt !== null) stages.toSubmission.push(Math.max(0, submittedAt - openedAt));
  if (submittedAt !== null && appliedAt !== null) stages.toChat.push(appliedAt - submittedAt);
  if (appliedAt !== null && seen !== undefined) stages.toSighting.push(seen - appliedAt);
  const inChat = appliedAt ?? seen;
  return inChat === undefined ? null : Math.max(0, inChat - openedAt);
}

function describe(task: ChaosTask | null, view: ChaosView | undefined, record: TaskRecord): string {
  if (!task || !view) return "no task";
  const slots = view.slots
    .filter((s) => s.subjectId === task.id)
    .map(
      (s) =>
        `${s.slot}:${s.status}:${s.deliveredAt ? "delivered" : s.failedAt ? "failed" : "owed"}x${s.attempts}`
    );
  const chat = view.chat.filter((m) => m.taskId === task.id).map((m) => m.status);
  const cancel = record.cancel
    ? ` cancel=${record.cancel.outcome}/${record.cancel.status ?? ""}x${record.cancel.calls} asked at ${record.cancel.askedAfterMs} ms, answered in ${record.cancel.ms} ms`
    : "";
  const child = record.child === undefined ? "" : ` child=${record.child}`;
  return `status=${task.status} attempts=${task.attempts} inspections=${task.inspections} sdk=${task.sdkStatus ?? "-"} error=${task.error ?? "-"}${cancel}${child} slots=[${slots}] chat=[${chat}]`;
}
