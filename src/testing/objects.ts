// Restarts and the backbone, on purpose: what a test needs to prove a flow
// survives the parent's death and to make the scheduled job run now instead
// of after its cadence. Only inside @cloudflare/vitest-plugin's workerd
// runtime; `cloudflare:test` is loaded on first call, so merely importing this
// entry (for the scripted model, say) works in any worker.

import { BACKBONE_CALLBACK } from "../engine/host";

type AnyStub = DurableObjectStub<Rpc.DurableObjectBranded | undefined>;

/**
 * Restart every Durable Object and facet in the test runtime, as a deploy or
 * an eviction would: storage survives; memory, timers and promises do not.
 */
export async function restartObjects(): Promise<void> {
  const { abortAllDurableObjects } = await import("cloudflare:test");
  await abortAllDurableObjects();
}

/**
 * Run the host's backbone now: make its scheduled job due, then fire the
 * object's alarm. Answers whether an alarm ran (false when nothing is
 * outstanding, so no job is scheduled).
 */
export async function runBackbone(stub: AnyStub): Promise<boolean> {
  const { runDurableObjectAlarm, runInDurableObject } = await import("cloudflare:test");
  const plain = stub as unknown as DurableObjectStub;
  await runInDurableObject(plain, (_instance: DurableObject, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const table = sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'cf_agents_jobs'")
      .toArray();
    if (table.length === 0) return;
    // The SDK runs a job whose time (epoch ms) has passed; a second ago always has.
    sql.exec(
      "UPDATE cf_agents_jobs SET time = ? WHERE fn = ?",
      Date.now() - 1000,
      BACKBONE_CALLBACK
    );
  });
  return runDurableObjectAlarm(plain);
}
