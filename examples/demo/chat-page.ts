// The demo's chat page: one self-contained HTML document speaking Think's
// WebSocket chat protocol. Replies stream in; background notices are told
// apart with the library's own transcript helper (`noticeMetadata`, shipped
// to the page as is) and drawn as compact event cards. A message sent while
// the socket is closed or reconnecting waits in an outbox and goes out once,
// when the agent has greeted the next connection. Every value is put on the
// page as text, never as HTML.

import { DEFAULT_NOTICE_SOURCE, noticeMetadata } from "agents-background/client";

const STYLE = `
:root { color-scheme: light dark; --mute: #6e7781; --accent: #0969da; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }
header { padding: 12px 20px; border-bottom: 1px solid #d0d7de88; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 17px; margin: 0; }
header a { color: var(--accent); }
header .model { color: var(--mute); font-size: 13px; margin-left: auto; }
#log { flex: 1; overflow-y: auto; padding: 16px 20px; }
.bubble { max-width: 72ch; margin: 8px 0; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-break: break-word; }
.user { background: var(--accent); color: white; margin-left: auto; width: fit-content; }
.assistant { background: #d0d7de44; width: fit-content; }
.tool { font-size: 12px; color: var(--mute); margin: 2px 0; }
.event-card { max-width: 72ch; margin: 10px auto 10px 0; padding: 8px 12px; border: 1px solid #d0d7de; border-left: 4px solid var(--accent); border-radius: 6px; font-size: 13px; }
.event-card .head { font-weight: 600; }
.event-card .body { color: var(--mute); white-space: pre-wrap; word-break: break-word; max-height: 6em; overflow: hidden; }
.event-card.failed, .event-card.gave_up { border-left-color: #cf222e; }
.event-card.cancelled { border-left-color: var(--mute); }
.event-card.completed, .event-card.ended { border-left-color: #1a7f37; }
form { display: flex; gap: 8px; padding: 12px 20px; border-top: 1px solid #d0d7de88; }
input { flex: 1; font: inherit; padding: 8px 10px; }
button { font: inherit; padding: 8px 14px; }
.pending { opacity: 0.6; }
.pending::after { content: " (waiting for the connection)"; font-size: 12px; }
#connection { font-size: 12px; color: var(--mute); }
#connection[data-state="reconnecting"] { color: #9a6700; }
.hint { color: var(--mute); font-size: 13px; padding: 0 20px 10px; }
`;

function script(): string {
  return `
"use strict";
const noticeMetadata = (${noticeMetadata.toString()});
const SOURCES = [${JSON.stringify(DEFAULT_NOTICE_SOURCE)}];
const params = new URLSearchParams(location.search);
const name = params.get("agent") || "demo";
const agentPath = "/agents/assistant/" + encodeURIComponent(name);
document.getElementById("board").href = agentPath + "/background/board";
document.getElementById("tasks").href = "/tasks?agent=" + encodeURIComponent(name);
let messages = [];
const streaming = new Map();
let ws;
// Typed while not connected: sent, in order, once the next connection is ready.
const outbox = [];
// This connection was greeted by the agent (its transcript or identity came).
let ready = false;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
function textOf(m) {
  return (m.parts || []).filter((p) => p.type === "text").map((p) => p.text).join("");
}

function render() {
  const log = document.getElementById("log");
  log.replaceChildren();
  for (const m of messages) {
    const notice = noticeMetadata(m, SOURCES);
    if (notice) {
      const [head, ...rest] = textOf(m).split("\\n");
      const card = el("div", "event-card " + notice.status);
      card.dataset.taskId = notice.taskId;
      card.dataset.status = notice.status;
      card.append(el("div", "head", head), el("div", "body", rest.join("\\n").trim()));
      log.append(card);
      continue;
    }
    for (const p of m.parts || []) {
      if (typeof p.type === "string" && p.type.startsWith("tool-")) {
        log.append(el("div", "tool", "⚙ " + p.type.slice(5)));
      }
    }
    const text = textOf(m);
    if (text) log.append(el("div", "bubble " + m.role, text));
  }
  for (const [, text] of streaming) if (text) log.append(el("div", "bubble assistant streaming", text));
  for (const m of outbox) log.append(el("div", "bubble user pending", textOf(m)));
  log.scrollTop = log.scrollHeight;
}

function showConnection(state) {
  const node = document.getElementById("connection");
  node.dataset.state = state;
  node.textContent = state === "connected" ? "connected" : state === "connecting" ? "connecting…" : "reconnecting…";
}

function send(message) {
  messages = [...messages, message];
  ws.send(JSON.stringify({
    type: "cf_agent_use_chat_request",
    id: crypto.randomUUID(),
    init: { method: "POST", body: JSON.stringify({ messages, trigger: "submit-message" }) }
  }));
}

// Each message leaves the outbox as it is sent, so it is sent once. It waits
// for the agent's greeting, not just an open socket: the greeting brings the
// transcript a request builds on, and proves a server is there.
function flush() {
  if (!ready || !ws || ws.readyState !== 1 || outbox.length === 0) return;
  while (outbox.length > 0) send(outbox.shift());
  render();
}

function connect() {
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + agentPath);
  ws = socket;
  ready = false;
  socket.addEventListener("message", (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (!ready && (data.type === "cf_agent_chat_messages" || data.type === "cf_agent_identity")) {
      ready = true;
      showConnection("connected");
      // After this frame's own effect (a transcript replaces the list first).
      queueMicrotask(flush);
    }
    if (data.type === "cf_agent_chat_messages" && Array.isArray(data.messages)) {
      messages = data.messages;
      streaming.clear();
      render();
    } else if (data.type === "cf_agent_use_chat_response") {
      if (data.body) {
        try {
          const chunk = JSON.parse(data.body);
          if (chunk.type === "text-delta") streaming.set(data.id, (streaming.get(data.id) || "") + chunk.delta);
        } catch {}
      }
      render();
    }
  });
  socket.addEventListener("close", () => {
    if (ws === socket) {
      ready = false;
      showConnection("reconnecting");
    }
    setTimeout(connect, 1000);
  });
}

document.getElementById("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  outbox.push({ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text }] });
  render();
  flush();
});
showConnection("connecting");
connect();
`;
}

/** JSON safe inside a script element: no "</script>" can close it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

export function chatPage(modelLabel: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agents-background demo</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Assistant</h1><a id="board" target="_blank">Task board</a><a id="tasks" target="_blank">Tasks (React)</a><span id="connection" role="status"></span><span class="model"></span></header>
<div id="log" aria-live="polite"></div>
<p class="hint">Try: "research tides in the background", "import the sample file", "what is running?", "cancel the import".</p>
<form id="form"><input id="input" autocomplete="off" placeholder="Message the assistant" aria-label="Message"><button>Send</button></form>
<script>document.querySelector(".model").textContent = ${scriptJson(`model: ${modelLabel}`)};${script()}</script>
</body>
</html>`;
}
