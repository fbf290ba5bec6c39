import { exports } from "cloudflare:workers";
import { afterAll, beforeAll } from "vitest";

// Load the module graph once before the first test, so no test pays for it.
beforeAll(async () => {
  await exports.default.fetch("http://warmup/");
}, 60_000);

afterAll(() => new Promise((resolve) => setTimeout(resolve, 100)));
