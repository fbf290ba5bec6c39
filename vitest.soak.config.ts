// The storage soak in workerd: `npm run soak` (SOAK_TASKS, default 10,000)
// and a small run in `npm test`. SOAK_TASKS reaches the worker as a binding.
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { sourceAlias } from "./test/source-alias.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(import.meta.dirname, "test/worker/wrangler.toml") },
      miniflare: { bindings: { SOAK_TASKS: process.env.SOAK_TASKS ?? "600" } }
    })
  ],
  resolve: { alias: sourceAlias },
  test: {
    include: ["test/soak/**/*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 3_600_000,
    hookTimeout: 60_000,
    fileParallelism: false
  }
});
