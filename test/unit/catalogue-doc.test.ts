// The catalogue's table in docs/reliability.md must list exactly the cases
// the tests run (test/catalogue/cases.ts). Node-only: it reads the docs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalogueRows } from "../catalogue/cases";

describe("the catalogue's table in docs/reliability.md", () => {
  it("lists exactly the cases the tests run (npm run docs:catalogue writes it)", () => {
    const doc = readFileSync(
      path.resolve(import.meta.dirname, "../../docs/reliability.md"),
      "utf8"
    );
    const table = doc.split("<!-- catalogue:start -->")[1]?.split("<!-- catalogue:end -->")[0];
    const rows = (table ?? "")
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .slice(2)
      .map((line) =>
        line
          .slice(1, -1)
          .split(" | ")
          .map((cell) => cell.trim())
      );
    expect(rows).toEqual(catalogueRows());
  });
});
