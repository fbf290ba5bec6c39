// The docs' TypeScript: every ```ts block of README.md and docs/*.md, as one
// module each, to compile in the consumer app against the packed package.
// A block imports what it uses; `./worker.js` is the guide's complete
// example, which sits beside the blocks.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type Snippet = { doc: string; index: number; line: number; code: string };

/** The fenced blocks of `lang` in `markdown`, with the line each starts on. */
export function fencedBlocks(markdown: string, lang: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `\`\`\`${lang}`) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== "```") end++;
    blocks.push({ line: start + 1, code: `${lines.slice(start, end).join("\n")}\n` });
    i = end;
  }
  return blocks;
}

/** The docs that hold snippets: the README and every page under docs/. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => path.join("docs", f));
  return ["README.md", ...docs];
}

export function snippets(root: string): Snippet[] {
  return docFiles(root).flatMap((doc) =>
    fencedBlocks(readFileSync(path.join(root, doc), "utf8"), "ts").map((block, index) => ({
      doc,
      index,
      ...block
    }))
  );
}

/** The file a snippet is compiled as, e.g. `doc-guide-3.ts`. */
export function snippetFile(snippet: Snippet): string {
  const name = path.basename(snippet.doc, ".md").toLowerCase();
  return `doc-${name}-${snippet.index + 1}.ts`;
}
