// Tests that touch Durable Objects: they run inside workerd through the
// Cloudflare vitest plugin, against the test worker in test/worker/.
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { sourceAlias } from "./test/source-alias.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(import.meta.dirname, "test/worker/wrangler.toml") }
    })
  ],
  resolve: { alias: sourceAlias },
  test: {
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    // One file at a time: restart tests abort every object in the runtime.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000
  }
});
