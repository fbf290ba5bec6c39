// The fault campaign in workerd: `npm run chaos` (thousands of tasks over
// several seeds) and a small seeded campaign in `npm test`. CHAOS_TASKS,
// CHAOS_SEED, CHAOS_LANES and CHAOS_ROUNDS reach the tests as bindings.
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { sourceAlias } from "./test/source-alias.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(import.meta.dirname, "test/worker/wrangler.toml") },
      miniflare: {
        bindings: {
          CHAOS_TASKS: process.env.CHAOS_TASKS ?? "40",
          CHAOS_SEED: process.env.CHAOS_SEED ?? "7",
          CHAOS_LANES: process.env.CHAOS_LANES ?? "1",
          CHAOS_ROUNDS: process.env.CHAOS_ROUNDS ?? ""
        }
      }
    })
  ],
  resolve: { alias: sourceAlias },
  test: {
    include: ["test/chaos/**/*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 3_600_000,
    hookTimeout: 60_000,
    fileParallelism: false
  }
});
