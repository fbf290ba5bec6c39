// Benchmarks in workerd: `npm run bench` (full) and a smoke run in `npm test`.
// BENCH_MODE reaches the worker as a binding.
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { sourceAlias } from "./test/source-alias.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(import.meta.dirname, "test/worker/wrangler.toml") },
      miniflare: { bindings: { BENCH_MODE: process.env.BENCH_MODE ?? "smoke" } }
    })
  ],
  resolve: { alias: sourceAlias },
  test: {
    include: ["test/bench/**/*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    fileParallelism: false
  }
});
