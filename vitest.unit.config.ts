// Pure logic (cadence, keys, state transitions, options): plain Node tests.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node"
  }
});
