// The consumer test: the package as a user gets it. Pack it, install the
// tarball into a copy of the fixture app (test/consumer/fixture: its own
// package.json and strict tsconfigs), then: compile the app, its tests and
// every TypeScript block of the docs under the bundler and the nodenext
// settings (no errors from this package or the app; other packages' own
// declaration errors are counted, not failed on), bundle it with
// `wrangler deploy --dry-run`, run its workerd test (a task, a parent
// restart, exactly one notice), and import the client and React entries in
// plain Node.
//
// CONSUMER_PEERS="agents@0.32.0 ai@7.0.160" installs those versions instead
// of the fixture's (to test peer floors). KEEP_CONSUMER=1 keeps the app.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { fencedBlocks, snippetFile, snippets } from "../test/consumer/snippets.ts";
import { root } from "./lib.ts";

type Manifest = {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
};

const fixture = path.join(root, "test/consumer/fixture");
const work = mkdtempSync(path.join(tmpdir(), "agents-background-consumer-"));
const app = path.join(work, "app");
const results: { name: string; ok: boolean; seconds: number; note: string }[] = [];

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Manifest;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      CI: "true",
      XDG_CONFIG_HOME: path.join(work, ".xdg"),
      WRANGLER_SEND_METRICS: "false",
      npm_config_update_notifier: "false"
    }
  });
}

function output(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
}

/** Run one check; a throw or a false fails it. Later checks still run. */
function check(name: string, body: () => string | false): boolean {
  const started = Date.now();
  let ok = false;
  let note = "";
  try {
    const answer = body();
    ok = answer !== false;
    note = answer === false ? "failed" : answer;
  } catch (error) {
    note = error instanceof Error ? error.message : String(error);
  }
  const seconds = (Date.now() - started) / 1000;
  results.push({ name, ok, seconds, note });
  process.stdout.write(
    `${ok ? "ok  " : "FAIL"} ${name} (${seconds.toFixed(1)} s)${note ? `: ${note}` : ""}\n`
  );
  return ok;
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n${output(r)}`);
  return output(r);
}

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  throw new Error(
    `Node ${process.versions.node}: run this with Node >= 22.12 (npm run test:consumer)`
  );
}

let tarball = "";
const packed = check(
  "npm pack: the tarball holds dist, docs, README, LICENSE and nothing else",
  () => {
    // prepack builds first, and the build's log goes to stdout too: the JSON
    // is the last thing printed, from a line holding only "[".
    const r = run("npm", ["pack", "--json", "--pack-destination", work], root);
    must(r, "npm pack");
    const json = r.stdout.slice(r.stdout.lastIndexOf("\n[\n") + 1);
    const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
    if (!info) throw new Error("npm pack printed no file list");
    tarball = path.join(work, info.filename);
    const files = info.files.map((f) => f.path);
    const stray = files.filter(
      (f) => !/^(dist\/|docs\/)/.test(f) && !["README.md", "LICENSE", "package.json"].includes(f)
    );
    if (stray.length > 0) throw new Error(`unexpected files: ${stray.join(", ")}`);
    for (const need of [
      "LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/client.js",
      "dist/react.js",
      "dist/react.d.ts"
    ]) {
      if (!files.includes(need)) throw new Error(`missing ${need}`);
    }
    return `${files.length} files`;
  }
);

check("the fixture is the guide's complete example, and tests what the repo does", () => {
  const guide = readFileSync(path.join(root, "docs/guide.md"), "utf8");
  const shown: [string, string][] = [
    ["src/worker.ts", "ts"],
    ["wrangler.toml", "toml"],
    ["test/worker.ts", "ts"],
    ["test/notice.test.ts", "ts"],
    ["vitest.config.ts", "ts"]
  ];
  for (const [file, lang] of shown) {
    const text = readFileSync(path.join(fixture, file), "utf8");
    if (!fencedBlocks(guide, lang).some((b) => b.code === text)) {
      throw new Error(`docs/guide.md has no \`\`\`${lang} block equal to the fixture's ${file}`);
    }
  }
  // One set of versions: the fixture installs what the repo's tests run on.
  const repo = readJson(path.join(root, "package.json"));
  const mine = readJson(path.join(fixture, "package.json"));
  const wanted = { ...mine.dependencies, ...mine.devDependencies };
  const drift = Object.entries(wanted).filter(
    ([n, v]) => readJson(path.join(root, "node_modules", n, "package.json")).version !== v
  );
  if (JSON.stringify(mine.overrides) !== JSON.stringify(repo.overrides))
    drift.push(["overrides", ""]);
  if (drift.length > 0)
    throw new Error(`differs from the repo: ${drift.map(([n]) => n).join(", ")}`);
  return "";
});

const installed =
  packed &&
  check("npm install <tarball> into the app (no ERESOLVE, no --legacy-peer-deps)", () => {
    cpSync(fixture, app, { recursive: true });
    const manifest = readJson(path.join(app, "package.json"));
    const peers = (process.env.CONSUMER_PEERS ?? "").split(/\s+/).filter(Boolean);
    for (const spec of peers) {
      const at = spec.lastIndexOf("@");
      const name = spec.slice(0, at);
      if (!manifest.dependencies || at <= 0) throw new Error(`bad CONSUMER_PEERS entry ${spec}`);
      manifest.dependencies[name] = spec.slice(at + 1);
    }
    writeFileSync(path.join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // Reuse the cache the repo's own install filled; the registry only for what it lacks.
    must(
      run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], app),
      "npm install"
    );
    const versions = ["agents", "@cloudflare/think", "ai", "just-bash", "agents-background"].map(
      (n) => `${n}@${readJson(path.join(app, "node_modules", n, "package.json")).version}`
    );
    return versions.join(" ");
  });

if (installed) {
  for (const s of snippets(root)) {
    writeFileSync(path.join(app, "src", snippetFile(s)), s.code);
  }
  const ours = `node_modules${path.sep}agents-background${path.sep}`;
  for (const config of ["tsconfig.json", "tsconfig.nodenext.json"]) {
    check(`tsc -p ${config}: the app, its tests and the docs' snippets`, () => {
      const r = run(
        process.execPath,
        ["node_modules/typescript/bin/tsc", "-p", config, "--pretty", "false"],
        app
      );
      const errors = output(r)
        .split("\n")
        .filter((l) => /error TS\d+/.test(l));
      const mine = errors.filter((l) => l.includes(ours) || !l.startsWith("node_modules"));
      const others = errors.length - mine.length;
      if (mine.length > 0) throw new Error(`${mine.length} errors:\n${mine.join("\n")}`);
      if (r.status !== 0 && errors.length === 0) throw new Error(output(r));
      return `0 errors from agents-background or the app; ${others} in other packages' declarations`;
    });
  }
  check("wrangler deploy --dry-run bundles the app", () => {
    const out = must(
      run(
        process.execPath,
        [
          "node_modules/wrangler/bin/wrangler.js",
          "deploy",
          "--dry-run",
          "--outdir",
          path.join(work, "out")
        ],
        app
      ),
      "wrangler deploy --dry-run"
    );
    return /Total Upload: [^\n]*/.exec(out)?.[0] ?? "";
  });
  check("the app's workerd test: a task, a parent restart, exactly one notice", () => {
    const out = must(
      run(process.execPath, ["node_modules/vitest/vitest.mjs", "run"], app),
      "vitest"
    );
    return /Tests\s+[^\n]*/.exec(stripVTControlCharacters(out))?.[0] ?? "";
  });
  check("plain Node imports agents-background/client", () => {
    const code =
      "const m = await import('agents-background/client'); if (typeof m.withoutBackgroundNotices !== 'function') process.exit(1); console.log(Object.keys(m).join(' '))";
    return must(run(process.execPath, ["--input-type=module", "-e", code], app), "node").trim();
  });
  check("plain Node imports agents-background/react, with the app's react and agents", () => {
    // Loads the entry and what it leaves external (react, agents/react), and
    // no server code: the engine's modules would need the Workers runtime.
    const code =
      "const m = await import('agents-background/react'); if (typeof m.useBackgroundTasks !== 'function') process.exit(1); console.log(Object.keys(m).join(' '))";
    return must(run(process.execPath, ["--input-type=module", "-e", code], app), "node").trim();
  });
}

const failed = results.filter((r) => !r.ok).length;
const total = results.reduce((sum, r) => sum + r.seconds, 0);
process.stdout.write(`consumer test: ${total.toFixed(0)} s in all\n`);
if (process.env.KEEP_CONSUMER === "1") process.stdout.write(`kept ${work}\n`);
else rmSync(work, { recursive: true, force: true });
process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
