// The bad-input catalogue's option cases (test/catalogue/cases.ts), checked
// where options are checked: when a class starts its engine, or when a tool
// set is made.
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/engine/errors";
import { resolveOptions } from "../../src/engine/options";
import { resolveToolSetOptions, type ToolSetOptions } from "../../src/tools/options";
import { CLASS_OPTIONS, TOOL_SET_OPTIONS } from "../catalogue/cases";

function thrown(attempt: () => unknown): InvalidOptionError {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("bad-input catalogue: options", () => {
  it.each(CLASS_OPTIONS.cases)("backgroundOptions $field: $input → $code", (c) => {
    const error = thrown(() => resolveOptions(c.args as never));
    expect(error.code).toBe(c.code);
    expect(error.field).toBe(c.field);
    expect(error.message).toContain(c.field);
  });

  it.each(TOOL_SET_OPTIONS.cases)("backgroundTools $field: $input → $code", (c) => {
    class Child {}
    const error = thrown(() => resolveToolSetOptions(c.args(Child) as ToolSetOptions));
    expect(error.code).toBe(c.code);
    expect(error.field).toBe(c.field);
  });
});
