// The demo's React tasks page (useBackgroundTasks from agents-background/react)
// in a real browser: a task appears, progresses and finishes live, another is
// cancelled from the page, a dropped connection resyncs from its snapshot,
// and a host the authorize hook refuses shows "not authorized" and stops.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, launchBrowser, REMOTE_HOST, SCREENSHOTS, startDemo } from "./demo";

let demo: Demo;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  demo = await startDemo({ IMPORT_BATCH_MS: "2000" });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

function agentName(): string {
  return `tasks-${crypto.randomUUID().slice(0, 8)}`;
}

type ApiTask = { id: string; status: string };

async function apiTasks(agent: string): Promise<ApiTask[]> {
  const res = await fetch(`${demo.url}/api/tasks?agent=${agent}`);
  return ((await res.json()) as { tasks: ApiTask[] }).tasks;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function openTasks(agent: string, origin = demo.url): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  await page.goto(`${origin}/tasks?agent=${agent}`);
  return page;
}

/** Marks this document: a reload would lose it. */
async function mark(page: Page) {
  await page.evaluate(() => {
    (window as unknown as { tasksMarker: number }).tasksMarker = 7;
  });
}

async function marked(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as unknown as { tasksMarker?: number }).tasksMarker);
}

async function progressOf(page: Page, taskId: string): Promise<number> {
  const value = await page
    .locator(`tr[data-task-id="${taskId}"] [role=progressbar]`)
    .getAttribute("aria-valuenow", { timeout: 1000 })
    .catch(() => null);
  return Number(value ?? 0);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe("the React tasks page", () => {
  it("shows a task appear, progress and finish live, and cancels another", async () => {
    const agent = agentName();
    const page = await openTasks(agent);
    await page.waitForSelector("#connection[data-status=live]");
    await page.waitForSelector("text=No tasks yet.");
    await mark(page);

    await page.click("#start-import");
    const row = await page.waitForSelector("tr[data-task-id]");
    const first = (await row.getAttribute("data-task-id")) ?? "";
    expect(await row.textContent()).toContain("Import the sample file");

    // Progress moves: the bar is seen part way, then further, before the end.
    const seen = new Set<number>();
    for (;;) {
      const status = await page.getAttribute(`tr[data-task-id="${first}"]`, "data-status");
      if (status !== "running" && status !== "scheduled") break;
      const value = await progressOf(page, first);
      if (value > 0 && value < 100 && !seen.has(value)) {
        seen.add(value);
        if (seen.size === 2) await shot(page, "tasks-react-progress");
      }
      await page.waitForTimeout(200);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(await page.textContent(`tr[data-task-id="${first}"] .pmsg`)).toContain(
      "of 100,000 rows"
    );

    const done = await page.waitForSelector(`tr[data-task-id="${first}"][data-status=completed]`);
    expect(await done.textContent()).toContain("Imported 100000 rows");
    expect(await progressOf(page, first)).toBe(100);
    expect(await page.locator(`tr[data-task-id="${first}"] button.cancel`).count()).toBe(0);

    await page.click("#start-import");
    const second = await until(
      async () => (await apiTasks(agent)).find((t) => t.id !== first),
      (t) => t !== undefined
    );
    const id = second?.id ?? "";
    await page.waitForSelector(`tr[data-task-id="${id}"][data-status=running]`);
    await page.waitForFunction(
      (taskId) =>
        Number(
          document
            .querySelector(`tr[data-task-id="${taskId}"] [role=progressbar]`)
            ?.getAttribute("aria-valuenow") ?? 0
        ) > 0,
      id,
      { timeout: 30_000 }
    );
    await page.click(`tr[data-task-id="${id}"] button.cancel`);
    const cancelled = await page.waitForSelector(`tr[data-task-id="${id}"][data-status=cancelled]`);
    expect(await cancelled.textContent()).toContain("cancelled");
    expect(await page.textContent("#message")).toBe("");
    const statuses = Object.fromEntries((await apiTasks(agent)).map((t) => [t.id, t.status]));
    expect(statuses).toEqual({ [first]: "completed", [id]: "cancelled" });
    // All of it live, in the same document.
    expect(await marked(page)).toBe(7);
    await shot(page, "tasks-react-cancelled");
    await page.close();
  });

  it("resyncs from the snapshot after its connection drops", async () => {
    const agent = agentName();
    const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
    // The page's agent socket runs through this route: passed to the server
    // while `up`, held open to nowhere while down.
    let up = true;
    let current: WebSocketRoute | null = null;
    let connections = 0;
    await page.routeWebSocket(/\/agents\/assistant\//, (ws) => {
      connections += 1;
      current = ws;
      if (up) ws.connectToServer();
    });
    await page.goto(`${demo.url}/tasks?agent=${agent}`);
    await page.waitForSelector("#connection[data-status=live]");
    await mark(page);

    await page.click("#start-import");
    const row = await page.waitForSelector("tr[data-status=running]");
    const id = (await row.getAttribute("data-task-id")) ?? "";

    // Drop the connection; the next one reaches no server, so no update comes.
    up = false;
    const dropped = current as WebSocketRoute | null;
    await dropped?.close({ code: 1012, reason: "restarting" });
    await page.waitForSelector("#connection[data-status=reconnecting]");
    await until(
      async () => connections,
      (n) => n >= 2,
      30_000
    );
    const done = await until(
      async () => (await apiTasks(agent)).find((t) => t.id === id)?.status,
      (s) => s === "completed"
    );
    expect(done).toBe("completed");
    // Still the last known state: nothing reached the page while it was away.
    expect(await page.getAttribute(`tr[data-task-id="${id}"]`, "data-status")).toBe("running");
    expect(await page.textContent("#connection")).toBe("reconnecting…");

    // Let it through: the next connection's snapshot brings the page up to date.
    up = true;
    const held = current as WebSocketRoute | null;
    await held?.close({ code: 1012, reason: "restarting" });
    await page.waitForSelector(`tr[data-task-id="${id}"][data-status=completed]`, {
      timeout: 30_000
    });
    await page.waitForSelector("#connection[data-status=live]");
    expect(await marked(page)).toBe(7);
    await page.close();
  });

  it("shows a connection the authorize hook refuses as not authorized, and stops there", async () => {
    const agent = agentName();
    // Addressed to a host that is not this machine's: the demo's hook refuses it.
    const origin = demo.url.replace("127.0.0.1", REMOTE_HOST);
    const page = await browser.newPage({ viewport: { width: 1100, height: 400 } });
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(`${origin}/tasks?agent=${agent}`);
    await page.waitForSelector("#connection[data-status=unauthorized]");
    expect(await page.textContent("#unauthorized")).toContain("Not authorized");
    expect(await page.locator("tr[data-task-id]").count()).toBe(0);
    // A refused client does not knock again and again: PartySocket would
    // have tried again within seconds.
    await page.waitForTimeout(8000);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]).toContain("background-board");
    expect(await page.textContent("#connection")).toBe("not authorized");
    await shot(page, "tasks-react-unauthorized");
    await page.close();
  });
});
