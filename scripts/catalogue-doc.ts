// `npm run docs:catalogue`: write the bad-input catalogue (test/catalogue/
// cases.ts) as a table into docs/reliability.md, between its catalogue
// markers. A unit test fails when the table and the cases differ.
import path from "node:path";
import { catalogueRows } from "../test/catalogue/cases.ts";
import { root, writeBetweenMarkers } from "./lib.ts";

const HEADER = ["called", "field", "input", "answer"];

/** A markdown table with padded columns, as the formatter writes it. */
export function markdownTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const rule = `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`;
  return [line(HEADER), rule, ...rows.map(line)].join("\n");
}

writeBetweenMarkers(
  path.join(root, "docs/reliability.md"),
  "catalogue",
  markdownTable(catalogueRows())
);
console.log(`wrote ${catalogueRows().length} cases into docs/reliability.md`);
