// Pure logic (cadence, keys, state transitions, options): plain Node tests.
import { defineConfig } from "vitest/config";
import { sourceAlias } from "./test/source-alias.ts";

export default defineConfig({
  resolve: { alias: sourceAlias },
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node"
  }
});
