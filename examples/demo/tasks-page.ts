// The HTML of the demo's React tasks page (/tasks): a root element and the
// bundled script (examples/demo/tasks/, built into public/tasks.js), which
// renders the tasks through `useBackgroundTasks`.

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --run: #0969da; --wait: #9a6700; --mute: #6e7781; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 20px 24px; }
header { display: flex; gap: 14px; align-items: baseline; }
h1 { font-size: 18px; margin: 0; }
a { color: var(--run); }
.sub { color: var(--mute); margin: 4px 0 12px; }
.connection { font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--mute); color: var(--mute); }
.connection.live { border-color: var(--ok); color: var(--ok); }
.connection.unauthorized { border-color: var(--bad); color: var(--bad); }
#unauthorized { color: var(--bad); }
.actions { display: flex; gap: 8px; margin: 8px 0; }
.actions input { font: inherit; padding: 4px 8px; }
button { font: inherit; padding: 3px 10px; cursor: pointer; }
#message { color: var(--bad); min-height: 1.4em; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #d0d7de55; vertical-align: top; }
th { font-weight: 600; color: var(--mute); font-size: 12px; text-transform: uppercase; }
.status { font-weight: 600; }
.status.running { color: var(--run); } .status.completed { color: var(--ok); }
.status.failed, .status.gave_up { color: var(--bad); } .status.cancelled { color: var(--mute); }
.status.waiting, .status.scheduled { color: var(--wait); }
.note { display: block; font-size: 12px; font-weight: normal; color: var(--mute); }
.note.failed { color: var(--bad); }
.bar { width: 140px; height: 6px; background: #d0d7de88; border-radius: 3px; overflow: hidden; }
.bar > div { height: 100%; background: var(--run); transition: width 0.3s; }
.pmsg { color: var(--mute); font-size: 12px; }
.outcome { max-width: 420px; white-space: pre-wrap; word-break: break-word; }
.empty { color: var(--mute); }
`;

export function tasksPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Background tasks (React)</title>
<style>${STYLE}</style>
</head>
<body>
<div id="root"></div>
<script type="module" src="/tasks.js"></script>
</body>
</html>`;
}
