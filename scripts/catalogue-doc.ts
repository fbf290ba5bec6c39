// `npm run docs:catalogue`: write the bad-input catalogue (test/catalogue/
// cases.ts) as a table into docs/reliability.md, between its catalogue
// markers. A unit test fails when the table and the cases differ.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { catalogueRows } from "../test/catalogue/cases.ts";

const HEADER = ["called", "field", "input", "answer"];
const START = "<!-- catalogue:start -->";
const END = "<!-- catalogue:end -->";

/** A markdown table with padded columns, as the formatter writes it. */
export function markdownTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const rule = `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`;
  return [line(HEADER), rule, ...rows.map(line)].join("\n");
}

const file = path.resolve(import.meta.dirname, "../docs/reliability.md");
const doc = readFileSync(file, "utf8");
const from = doc.indexOf(START);
const to = doc.indexOf(END);
if (from < 0 || to < from) throw new Error(`${file} has no catalogue markers`);
const table = markdownTable(catalogueRows());
writeFileSync(file, `${doc.slice(0, from + START.length)}\n${table}\n${doc.slice(to)}`);
console.log(`wrote ${catalogueRows().length} cases into docs/reliability.md`);
