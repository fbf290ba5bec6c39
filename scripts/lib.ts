// What the scripts share: running a vitest config in local workerd while
// collecting the tagged JSON lines its tests print, and writing generated
// text between markers in a doc.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..");

/**
 * Run `vitest run --config <config>` with `env`, and hand every stdout line
 * that carries `<tag> {…}` to `onRecord` as parsed JSON. Lines `echo`
 * accepts are shown as they come (progress of a long run). Resolves with
 * whether every test passed.
 */
export function runTagged(
  config: string,
  env: Record<string, string>,
  tag: string,
  onRecord: (record: unknown) => void,
  echo: (line: string) => boolean = () => false
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", config],
      {
        cwd: root,
        env: {
          ...process.env,
          ...env,
          XDG_CONFIG_HOME: path.join(root, ".xdg"),
          WRANGLER_SEND_METRICS: "false"
        },
        stdio: ["ignore", "pipe", "inherit"]
      }
    );
    const marker = `${tag} {`;
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let i = buffer.indexOf("\n");
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const at = line.indexOf(marker);
        if (at >= 0) onRecord(JSON.parse(line.slice(at + tag.length + 1)) as unknown);
        else if (echo(line)) process.stdout.write(`${line}\n`);
        i = buffer.indexOf("\n");
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code === 0));
  });
}

/** Replace what lies between `<!-- name:start -->` and `<!-- name:end -->` in a doc. */
export function writeBetweenMarkers(docPath: string, name: string, text: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const doc = readFileSync(docPath, "utf8");
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${docPath} has no ${name} markers`);
  writeFileSync(docPath, `${doc.slice(0, from + start.length)}\n${text}\n${doc.slice(to)}`);
}
