// The demo, end to end in a real browser: chat, background tasks, the live
// board, cancel, drill-in, escaping, and a message sent while the chat's
// socket is down. Screenshots go to screenshots/.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, launchBrowser, SCREENSHOTS, startDemo } from "./demo";

let demo: Demo;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  demo = await startDemo({ IMPORT_BATCH_MS: "3000" });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

function agentName(): string {
  return `e2e-${crypto.randomUUID().slice(0, 8)}`;
}

async function openChat(agent: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.goto(`${demo.url}/?agent=${agent}`);
  return page;
}

async function openBoard(agent: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 600 } });
  await page.goto(`${demo.url}/agents/assistant/${agent}/background/board`);
  await page.waitForSelector("#live.on");
  // Marks this document: a reload would lose it.
  await page.evaluate(() => {
    (window as unknown as { boardMarker: number }).boardMarker = 42;
  });
  return page;
}

async function say(chat: Page, text: string) {
  await chat.fill("#input", text);
  await chat.press("#input", "Enter");
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe("the demo in a browser", () => {
  it("a background research task shows on the board as running, completes live, and gives one notice card", async () => {
    const agent = agentName();
    const chat = await openChat(agent);
    const board = await openBoard(agent);

    await say(chat, "research tides in the background");
    await chat.waitForSelector("text=I started researching tides in the background");
    const running = await board.waitForSelector('tr[data-status="running"]');
    expect(await running.textContent()).toContain("Research tides");
    await shot(board, "board-running");

    await board.waitForSelector('tr[data-status="completed"]', { timeout: 20_000 });
    const outcome = await board.textContent('tr[data-status="completed"] .outcome');
    expect(outcome).toContain("Findings on tides");
    // Updated in place: the same document, never reloaded.
    expect(
      await board.evaluate(() => (window as unknown as { boardMarker?: number }).boardMarker)
    ).toBe(42);

    await chat.waitForSelector(".event-card");
    await chat.waitForSelector("text=Update: Background task");
    await chat.waitForTimeout(1500);
    expect(await chat.locator(".event-card").count()).toBe(1);
    expect(await chat.textContent(".event-card")).toContain("Findings on tides");
    // The notice is a card, not a user bubble.
    expect(await chat.locator(".bubble.user").allTextContents()).toEqual([
      "research tides in the background"
    ]);
    await shot(chat, "chat-research");
    await chat.close();
    await board.close();
  });

  it("cancelling a running import from the board shows it cancelled in both places", async () => {
    const agent = agentName();
    const chat = await openChat(agent);
    const board = await openBoard(agent);

    await say(chat, "import the sample file");
    await chat.waitForSelector("text=The import is running in the background");
    const row = await board.waitForSelector('tr[data-status="running"]');
    const taskId = await row.getAttribute("data-task-id");
    // The importer reports progress: the bar moves before we cancel.
    await board.waitForSelector(`tr[data-task-id="${taskId}"] [role=progressbar]`, {
      timeout: 15_000
    });

    await say(chat, "what is running?");
    await chat.waitForSelector("text=Running now:");
    expect(await chat.textContent("#log")).toContain("importer: Import the sample file");
    await shot(board, "board-importing");

    await board.click(`tr[data-task-id="${taskId}"] button.cancel`);
    await board.waitForSelector(`tr[data-task-id="${taskId}"][data-status="cancelled"]`);
    const card = await chat.waitForSelector(`.event-card[data-task-id="${taskId}"]`);
    expect(await card.getAttribute("data-status")).toBe("cancelled");
    expect(await card.textContent()).toContain("was cancelled");
    await shot(board, "board-cancelled");
    await shot(chat, "chat-cancelled");
    await chat.close();
    await board.close();
  });

  it("a child's output with HTML and a script tag is shown as text everywhere", async () => {
    const agent = agentName();
    const chat = await openChat(agent);
    const board = await openBoard(agent);
    const hostile = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>";

    await say(chat, `research ${hostile} in the background`);
    const card = await chat.waitForSelector(".event-card", { timeout: 20_000 });
    expect(await card.textContent()).toContain(hostile);
    expect(await chat.locator(".event-card img, .event-card script").count()).toBe(0);

    const cell = await board.waitForSelector('tr[data-status="completed"] .outcome');
    expect(await cell.textContent()).toContain(hostile);
    await board.click('tr[data-status="completed"] button.view');
    await board.waitForSelector("#drill-messages .msg.assistant");
    expect(await board.textContent("#drill-messages")).toContain(hostile);
    expect(
      await board.locator("#drill-messages img, #drill-messages script, #rows img").count()
    ).toBe(0);

    for (const page of [chat, board]) {
      expect(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)
      ).toBeUndefined();
    }
    await shot(board, "board-escaped");
    await chat.close();
    await board.close();
  });

  it("a message sent while the chat's socket is down waits, and is delivered exactly once after it reconnects", async () => {
    const agent = agentName();
    const chat = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    // The page's agent socket runs through this route: passed to the server
    // while \`up\`; while down, each new socket opens to nothing that answers.
    let up = true;
    let current: WebSocketRoute | null = null;
    let sockets = 0;
    await chat.routeWebSocket(/\/agents\/assistant\//, (ws) => {
      sockets += 1;
      current = ws;
      if (up) ws.connectToServer();
    });
    await chat.goto(`${demo.url}/?agent=${agent}`);
    await chat.waitForSelector("#connection[data-state=connected]");

    up = false;
    const dropped = current as WebSocketRoute | null;
    await dropped?.close({ code: 1012, reason: "restarting" });
    await chat.waitForSelector("#connection[data-state=reconnecting]");
    // Typed while the page holds an open socket that no agent has greeted.
    const before = sockets;
    for (let i = 0; sockets === before && i < 300; i++) await chat.waitForTimeout(100);
    expect(sockets).toBeGreaterThan(before);

    await say(chat, "what is running?");
    // Kept, shown as waiting, and the input is free again.
    await chat.waitForSelector(".bubble.user.pending");
    expect(await chat.textContent(".bubble.user.pending")).toBe("what is running?");
    expect(await chat.inputValue("#input")).toBe("");
    await chat.waitForTimeout(2500);
    expect(await chat.locator(".bubble.user.pending").count()).toBe(1);
    await shot(chat, "chat-waiting");
    const away = (await (await fetch(`${demo.url}/api/messages?agent=${agent}`)).json()) as {
      role: string;
    }[];
    expect(away).toEqual([]);

    // The server is back: the next connection is greeted, and the message goes out.
    up = true;
    const held = current as WebSocketRoute | null;
    await held?.close({ code: 1012, reason: "restarting" });
    await chat.waitForSelector("#connection[data-state=connected]", { timeout: 30_000 });
    await chat.waitForSelector("text=Nothing is running in the background.");
    await chat.waitForTimeout(2000);

    type Message = { role: string; parts: { type: string; text?: string }[] };
    const transcript = (await (
      await fetch(`${demo.url}/api/messages?agent=${agent}`)
    ).json()) as Message[];
    const texts = transcript.map(
      (m) => `${m.role}: ${m.parts.map((p) => (p.type === "text" ? p.text : "")).join("")}`
    );
    expect(texts).toEqual([
      "user: what is running?",
      "assistant: Nothing is running in the background."
    ]);
    expect(await chat.locator(".bubble.user").allTextContents()).toEqual(["what is running?"]);
    expect(await chat.locator(".bubble.pending").count()).toBe(0);
    await shot(chat, "chat-reconnected");
    await chat.close();
  });
});
