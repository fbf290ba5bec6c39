// Our own tests run against the sources: the package's names (which the demo
// imports, as an app would) resolve to src/, so a test worker holds one copy
// of the library and needs no build. The consumer test checks the build.
import path from "node:path";

const src = path.resolve(import.meta.dirname, "../src");

export const sourceAlias = [
  { find: /^agents-background$/, replacement: path.join(src, "index.ts") },
  { find: /^agents-background\/client$/, replacement: path.join(src, "client/index.ts") },
  { find: /^agents-background\/testing$/, replacement: path.join(src, "testing/index.ts") },
  { find: /^agents-background\/ai-chat$/, replacement: path.join(src, "ai-chat.ts") },
  { find: /^agents-background\/react$/, replacement: path.join(src, "react/index.ts") }
];
