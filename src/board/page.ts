// The task board page: one self-contained HTML document (no build step, no
// external assets). It takes a snapshot and then live task updates from the
// agent's WebSocket (socket.ts), and reads the JSON API next to it for
// filters and drill-in. Every value from a task is put on the page as text
// (textContent), never as HTML.

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --run: #0969da; --wait: #9a6700; --mute: #6e7781; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 20px 24px; }
h1 { font-size: 18px; margin: 0 0 4px; }
.sub { color: var(--mute); margin: 0 0 16px; }
.live { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--mute); margin-right: 6px; }
.live.on { background: var(--ok); }
nav button { margin: 0 6px 12px 0; padding: 4px 10px; border: 1px solid #8c959f; border-radius: 14px; background: transparent; cursor: pointer; font: inherit; }
nav button[aria-pressed="true"] { background: var(--run); border-color: var(--run); color: white; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #d0d7de55; vertical-align: top; }
th { font-weight: 600; color: var(--mute); font-size: 12px; text-transform: uppercase; }
.status { font-weight: 600; }
.status.running { color: var(--run); } .status.completed { color: var(--ok); }
.status.failed, .status.gave_up { color: var(--bad); } .status.cancelled { color: var(--mute); }
.status.waiting, .status.scheduled { color: var(--wait); }
.bar { width: 120px; height: 6px; background: #d0d7de88; border-radius: 3px; overflow: hidden; }
.bar > div { height: 100%; background: var(--run); }
.pmsg { color: var(--mute); font-size: 12px; }
.outcome { max-width: 420px; white-space: pre-wrap; word-break: break-word; }
td button { font: inherit; padding: 2px 8px; cursor: pointer; }
#drill { margin-top: 20px; border-top: 2px solid #d0d7de; padding-top: 12px; }
#drill[hidden] { display: none; }
.msg { margin: 8px 0; padding: 8px 10px; border-radius: 8px; background: #d0d7de33; white-space: pre-wrap; word-break: break-word; }
.msg b { display: block; font-size: 12px; color: var(--mute); }
.empty { color: var(--mute); padding: 16px 10px; }
.note { display: block; font-size: 12px; font-weight: normal; color: var(--mute); }
.note.failed { color: var(--bad); }
`;

/** The page's script, run in the browser. Plain JavaScript: it ships as is. */
const SCRIPT = `
"use strict";
const base = location.pathname.replace(/\\/background(\\/.*)?$/, "");
const api = base + "/background";
const FILTERS = [
  ["all", "All", null],
  ["running", "Running", ["running"]],
  ["pending", "Waiting", ["scheduled", "waiting"]],
  ["completed", "Completed", ["completed"]],
  ["failed", "Failed", ["failed", "gave_up"]],
  ["cancelled", "Cancelled", ["cancelled"]]
];
const tasks = new Map();
let filter = "all";

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function runtime(t) {
  if (t.startedAt == null) return t.runAt ? "starts " + new Date(t.runAt).toLocaleTimeString() : "";
  const ms = (t.endedAt ?? Date.now()) - t.startedAt;
  return ms < 60000 ? (ms / 1000).toFixed(1) + " s" : Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
}

function visible(t) {
  const statuses = FILTERS.find((f) => f[0] === filter)[2];
  return !statuses || statuses.includes(t.status);
}

function render() {
  const body = document.getElementById("rows");
  body.replaceChildren();
  const shown = [...tasks.values()].filter(visible).sort((a, b) => b.createdAt - a.createdAt);
  if (shown.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: "7", class: "empty", text: "No tasks." })));
    return;
  }
  for (const t of shown) {
    const progress = t.progress
      ? el("div", {},
          el("div", { class: "bar", role: "progressbar", "aria-valuenow": String(Math.round((t.progress.fraction ?? 0) * 100)) },
            el("div", { style: "width:" + Math.round((t.progress.fraction ?? 0) * 100) + "%" })),
          el("div", { class: "pmsg", text: t.progress.message ?? t.progress.phase ?? "" }))
      : null;
    const active = ["running", "scheduled", "waiting"].includes(t.status);
    const notes = [];
    if (t.attempts > 1) notes.push(el("span", { class: "note attempts", text: "attempt " + t.attempts }));
    if (t.notice === "failed") notes.push(el("span", { class: "note failed notice", text: "notice failed" }));
    if (t.prunedAt != null) notes.push(el("span", { class: "note pruned", text: "pruned" }));
    body.append(el("tr", { "data-task-id": t.id, "data-status": t.status },
      el("td", { class: "status " + t.status }, document.createTextNode(t.status.replace("_", " ")), ...notes),
      el("td", { text: t.agent }),
      el("td", { class: "title", text: t.title }),
      el("td", { class: "runtime", text: runtime(t) }),
      el("td", {}, progress),
      el("td", { class: "outcome", text: t.outcome ?? "" }),
      el("td", {},
        active ? el("button", { class: "cancel", text: "Cancel", onclick: () => cancel(t.id) }) : null,
        t.notice === "failed" ? el("button", { class: "retry", text: "Retry notice", onclick: () => retry(t.id) }) : null,
        t.prunedAt == null ? el("button", { class: "view", text: "View", onclick: () => drill(t.id) }) : null)));
  }
}

async function load() {
  const statuses = FILTERS.find((f) => f[0] === filter)[2];
  const query = statuses ? "?limit=200&status=" + statuses.join(",") : "?limit=200";
  const res = await fetch(api + "/tasks" + query);
  if (!res.ok) { document.getElementById("error").textContent = "Not authorized (" + res.status + ")"; return; }
  const page = await res.json();
  for (const t of page.tasks) tasks.set(t.id, t);
  render();
}

async function cancel(id) {
  const res = await fetch(api + "/tasks/" + encodeURIComponent(id) + "/cancel", { method: "POST", headers: { "x-background-board": "1" } });
  const result = await res.json();
  document.getElementById("error").textContent = result.outcome === "cancelled" ? "" : "Cancel: " + (result.outcome || "refused");
}

async function retry(id) {
  const res = await fetch(api + "/tasks/" + encodeURIComponent(id) + "/retry-delivery", { method: "POST", headers: { "x-background-board": "1" } });
  document.getElementById("error").textContent = res.ok ? "" : "Retry refused (" + res.status + ")";
}

async function drill(id) {
  const panel = document.getElementById("drill");
  const list = document.getElementById("drill-messages");
  const t = tasks.get(id);
  document.getElementById("drill-title").textContent = (t ? t.agent + ": " + t.title : id);
  list.replaceChildren();
  panel.hidden = false;
  const res = await fetch(api + "/tasks/" + encodeURIComponent(id) + "/transcript");
  const data = await res.json();
  for (const m of data.messages || []) {
    const text = (m.parts || []).filter((p) => p.type === "text").map((p) => p.text).join("");
    list.append(el("div", { class: "msg " + m.role }, el("b", { text: m.role }), document.createTextNode(text)));
  }
  if (!list.children.length) list.append(el("div", { class: "empty", text: "No messages yet." }));
}

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "?background-board=1");
  const dot = document.getElementById("live");
  ws.addEventListener("open", () => { dot.classList.add("on"); });
  ws.addEventListener("message", (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (data && data.type === "background:snapshot" && Array.isArray(data.tasks)) {
      // Sent first on every connection: what was missed while away is in it.
      tasks.clear();
      for (const t of data.tasks) tasks.set(t.id, t);
      render();
      if (filter !== "all") load();
    }
    if (data && data.type === "background:task" && data.task) { tasks.set(data.task.id, data.task); render(); }
  });
  ws.addEventListener("close", (event) => {
    dot.classList.remove("on");
    // Refused by the authorize hook: asking again would be refused again.
    if (event.code === 4403) { document.getElementById("error").textContent = "Not authorized"; return; }
    setTimeout(connect, 1000);
  });
}

const nav = document.getElementById("filters");
for (const [key, label] of FILTERS) {
  nav.append(el("button", { "data-filter": key, "aria-pressed": String(key === filter), text: label, onclick: () => {
    filter = key;
    for (const b of nav.children) b.setAttribute("aria-pressed", String(b.dataset.filter === key));
    render(); load();
  } }));
}
document.getElementById("agent").textContent = decodeURIComponent(base.split("/").filter(Boolean).slice(-2).join(" / "));
setInterval(() => { for (const cell of document.querySelectorAll("tr[data-status=running] .runtime")) {
  const t = tasks.get(cell.parentElement.dataset.taskId); if (t) cell.textContent = runtime(t);
} }, 1000);
connect();
`;

export function boardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Background tasks</title>
<style>${STYLE}</style>
</head>
<body>
<h1><span id="live" class="live" title="live updates"></span>Background tasks</h1>
<p class="sub">Agent <span id="agent"></span>. Updates arrive live.</p>
<nav id="filters" aria-label="Filter by status"></nav>
<p id="error" role="alert"></p>
<table>
<thead><tr><th>Status</th><th>Agent</th><th>Title</th><th>Runtime</th><th>Progress</th><th>Outcome</th><th></th></tr></thead>
<tbody id="rows"></tbody>
</table>
<section id="drill" hidden>
<h2 id="drill-title"></h2>
<div id="drill-messages"></div>
</section>
<script>${SCRIPT}</script>
</body>
</html>`;
}
