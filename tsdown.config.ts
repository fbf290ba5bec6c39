// The package build: each entry point bundled into one ESM file with a source
// map, and its declarations bundled into one .d.ts, so a consumer's compiler
// reads declarations only (never our sources, under their settings) and any
// module resolution, nodenext included, finds what it needs. The SDK, the AI
// SDK, zod, React and the runtime's own modules stay external: the app brings
// one copy of each. The declarations come from tsc (tsconfig.build.json), run first.
import { defineConfig, type UserConfig } from "tsdown";

const ENTRIES = {
  index: "index",
  client: "client/index",
  testing: "testing/index",
  "ai-chat": "ai-chat",
  react: "react/index"
} as const;

const shared: UserConfig = {
  format: "esm",
  platform: "neutral",
  target: "es2023",
  outDir: "dist",
  deps: {
    neverBundle: [
      /^agents(\/|$)/,
      /^@cloudflare\//,
      /^ai(\/|$)/,
      /^zod(\/|$)/,
      /^react(\/|$)/,
      /^cloudflare:/
    ]
  },
  report: false
};

function entries(dir: string, extension: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(ENTRIES).map(([name, file]) => [name, `./${dir}/${file}${extension}`])
  );
}

export default defineConfig([
  { ...shared, entry: entries("src", ".ts"), clean: true, sourcemap: true, dts: false },
  {
    ...shared,
    entry: entries(".build/types", ".d.ts"),
    clean: false,
    dts: { dtsInput: true, emitDtsOnly: true, tsconfig: "tsconfig.build.json" }
  }
]);
