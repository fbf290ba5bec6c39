// Dependencies between tasks: when a waiting task may start, when it must be
// cancelled instead, and whether new edges would close a cycle. Pure.

import type { TaskStatus } from "./status";

export type Verdict =
  | { kind: "ready" }
  | { kind: "blocked" }
  | { kind: "doomed"; id: string; status: TaskStatus | "missing" };

/** A task starts when every dependency completed; one that ended otherwise dooms it. */
export function dependencyVerdict(
  deps: readonly { id: string; status: TaskStatus | undefined }[]
): Verdict {
  for (const dep of deps) {
    if (dep.status === undefined) return { kind: "doomed", id: dep.id, status: "missing" };
    if (dep.status === "failed" || dep.status === "cancelled" || dep.status === "gave_up") {
      return { kind: "doomed", id: dep.id, status: dep.status };
    }
  }
  return deps.every((dep) => dep.status === "completed") ? { kind: "ready" } : { kind: "blocked" };
}

/** Whether giving `taskId` the dependencies `after` would make it depend on itself. */
export function closesCycle(
  taskId: string,
  after: readonly string[],
  afterOf: (id: string) => readonly string[]
): boolean {
  const seen = new Set<string>();
  const stack = [...after];
  while (stack.length > 0) {
    const id = stack.pop();
    if (id === undefined || seen.has(id)) continue;
    if (id === taskId) return true;
    seen.add(id);
    stack.push(...afterOf(id));
  }
  return false;
}
