// Browser end-to-end tests: the demo under `wrangler dev`, driven in
// Debian's headless Chromium by playwright-core (no browser download).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 120_000,
    fileParallelism: false
  }
});
