// The hook's task list: a snapshot replaces it, an update puts one task in
// place. Pure functions over an immutable array, newest first (as the board
// and the JSON API order them), so React sees a new array only on a change.

import type { BoardTask } from "../wire/board";

/** Newest first; ties (tasks started in one call) by id, for a stable order. */
function newerFirst(a: BoardTask, b: BoardTask): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The list a snapshot gives: its tasks, in order, and no others. */
export function fromSnapshot(tasks: readonly BoardTask[]): BoardTask[] {
  return [...tasks].sort(newerFirst);
}

/** `list` with `task` in place of its older row, or added where it belongs. */
export function withTask(list: readonly BoardTask[], task: BoardTask): BoardTask[] {
  const at = list.findIndex((t) => t.id === task.id);
  if (at >= 0) {
    const next = [...list];
    next[at] = task;
    return next;
  }
  return [...list, task].sort(newerFirst);
}
