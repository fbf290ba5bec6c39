// A campaign parent as the harness reaches it: by name, across restarts. A
// restart breaks every stub and every call in flight; the harness then does
// what a caller would (gets a fresh stub and calls again), so only calls that
// are safe to repeat go through `call`.

import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import type { ChaosParent, Env } from "../worker/index";

export const testEnv = env as unknown as Env & {
  CHAOS_TASKS?: string;
  CHAOS_SEED?: string;
  CHAOS_LANES?: string;
  CHAOS_ROUNDS?: string;
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type ParentStub = DurableObjectStub<ChaosParent>;

/** How long one call may take before it is given up and made again. */
const CALL_TIMEOUT_MS = 30_000;

export class ParentHandle {
  readonly #namespace: DurableObjectNamespace<ChaosParent>;
  readonly name: string;
  #stub: Promise<ParentStub> | null = null;

  /** `delivery`: the parent with quick delivery timeouts and retries, for chat faults. */
  constructor(name: string, kind: "plain" | "delivery" = "plain") {
    this.name = name;
    this.#namespace =
      kind === "delivery"
        ? (testEnv.ChaosDeliveryParent as unknown as DurableObjectNamespace<ChaosParent>)
        : testEnv.ChaosParent;
  }

  #get(): Promise<ParentStub> {
    this.#stub ??= getAgentByName(this.#namespace, this.name);
    return this.#stub;
  }

  /** Call once; a restart makes it throw (a user turn: not repeated behind the user's back). */
  async once<T>(fn: (p: ParentStub) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#get());
    } catch (error) {
      this.#stub = null;
      throw error;
    }
  }

  /** Call, and call again on a fresh stub when a restart (or a hang) cuts the call short. */
  async call<T>(fn: (p: ParentStub) => Promise<T>, tries = 12): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await timeout(this.once(fn), CALL_TIMEOUT_MS);
      } catch (error) {
        this.#stub = null;
        if (attempt >= tries) throw error;
        await sleep(Math.min(100 * attempt, 1000));
      }
    }
  }
}

function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`a call took over ${ms} ms`)), ms);
    })
  ]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
