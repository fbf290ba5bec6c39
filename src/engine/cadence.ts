// When the backbone ticks next: a backoff that starts fast after a dispatch
// and settles at a slow ceiling, pulled in by the nearest task deadline.

export type Cadence = { minMs: number; maxMs: number; factor: number };

/** Delay before tick number `step` (0 = the first tick after a dispatch). */
export function cadenceDelayMs(cadence: Cadence, step: number): number {
  const raw = cadence.minMs * cadence.factor ** Math.max(0, step);
  return Math.min(cadence.maxMs, Math.round(raw));
}

/**
 * The time of the next tick. Scheduled jobs fire on whole seconds and may run
 * up to a second early, so a deadline is rounded up to the next whole second:
 * the tick then never arrives before the deadline it was meant for.
 */
export function nextTickAt(now: number, delayMs: number, deadlines: readonly number[]): number {
  let at = Number.isFinite(delayMs) ? now + delayMs : Number.POSITIVE_INFINITY;
  for (const deadline of deadlines) {
    if (deadline < at) at = deadline;
  }
  return Math.max(now, Math.ceil(at / 1000) * 1000);
}
