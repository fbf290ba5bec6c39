// Watching a round's parents: one read of each (tasks, notice slots, chat,
// jobs) every few hundred ms for the whole round, so the harness knows when
// each notice message first appeared in a chat, even while faults land. A
// read cut short by a restart is skipped; the next one comes soon.

import type { ChaosView } from "../worker/index";
import { seenKey } from "./checker";
import { type ParentHandle, sleep } from "./parents";

const EVERY_MS = 250;

export class Watcher {
  readonly #parents: readonly ParentHandle[];
  /** When each notice message was first seen: `${parent}:${id}` → ms. */
  readonly firstSeen = new Map<string, number>();
  /** The latest complete read of every parent. */
  views: ChaosView[] = [];
  /** The longest the harness's own timer fired late: how saturated the runtime was. */
  stallMs = 0;
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(parents: readonly ParentHandle[]) {
    this.#parents = parents;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        await this.look().catch(() => undefined);
        const before = Date.now();
        await sleep(EVERY_MS);
        this.stallMs = Math.max(this.stallMs, Date.now() - before - EVERY_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** Read every parent now (calls cut by a restart are made again). */
  async look(): Promise<ChaosView[]> {
    const views = await Promise.all(this.#parents.map((p) => p.call((s) => s.observe())));
    const now = Date.now();
    views.forEach((view, parent) => {
      for (const m of view.chat) {
        const key = seenKey(parent, m.id);
        if (!this.firstSeen.has(key)) this.firstSeen.set(key, now);
      }
    });
    this.views = views;
    return views;
  }

  /** Wait until `done` holds of a fresh read, or `deadlineAt`; returns whether it held. */
  async until(done: (views: ChaosView[]) => boolean, deadlineAt: number): Promise<boolean> {
    for (;;) {
      const views = await this.look().catch(() => null);
      if (views && done(views)) return true;
      if (Date.now() >= deadlineAt) return false;
      await sleep(EVERY_MS);
    }
  }
}
