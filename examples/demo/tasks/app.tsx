// The demo's tasks page, in React: one agent's background tasks, live, with
// their progress and a cancel button, through `useBackgroundTasks` from
// agents-background/react (the board socket, under the board's authorization).
// Two buttons start work through the demo's HTTP API.

import {
  type BackgroundTasksStatus,
  type BoardTask,
  useBackgroundTasks
} from "agents-background/react";
import { useState } from "react";

const STATUS_TEXT: Record<BackgroundTasksStatus, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unauthorized: "not authorized",
  closed: "closed"
};

const ACTIVE: readonly BoardTask["status"][] = ["scheduled", "waiting", "running"];

function Progress({ task }: { task: BoardTask }) {
  if (!task.progress) return null;
  const percent = Math.round((task.progress.fraction ?? 0) * 100);
  return (
    <div>
      <div className="bar" role="progressbar" aria-valuenow={percent}>
        <div style={{ width: `${percent}%` }} />
      </div>
      <div className="pmsg">{task.progress.message ?? task.progress.phase ?? ""}</div>
    </div>
  );
}

function Row(props: {
  task: BoardTask;
  canCommand: boolean;
  onCancel(id: string): void;
  onRetry(id: string): void;
}) {
  const { task } = props;
  return (
    <tr data-task-id={task.id} data-status={task.status}>
      <td className={`status ${task.status}`}>
        {task.status.replace("_", " ")}
        {task.attempts > 1 ? <span className="note">attempt {task.attempts}</span> : null}
        {task.notice === "failed" ? <span className="note failed">notice failed</span> : null}
      </td>
      <td className="title">{task.title}</td>
      <td>{task.agent}</td>
      <td className="progress">
        <Progress task={task} />
      </td>
      <td className="outcome">{task.outcome ?? ""}</td>
      <td>
        {ACTIVE.includes(task.status) ? (
          <button
            type="button"
            className="cancel"
            disabled={!props.canCommand}
            onClick={() => props.onCancel(task.id)}
          >
            Cancel
          </button>
        ) : null}
        {task.notice === "failed" ? (
          <button
            type="button"
            className="retry"
            disabled={!props.canCommand}
            onClick={() => props.onRetry(task.id)}
          >
            Retry notice
          </button>
        ) : null}
      </td>
    </tr>
  );
}

export function TasksApp({ agent }: { agent: string }) {
  const { tasks, status, canCommand, cancel, retryDelivery, reconnect } = useBackgroundTasks({
    agent: "assistant",
    name: agent
  });
  const [message, setMessage] = useState("");
  const [topic, setTopic] = useState("tides");
  const live = status === "live";

  async function start(path: string) {
    const res = await fetch(
      `${path}${path.includes("?") ? "&" : "?"}agent=${encodeURIComponent(agent)}`,
      {
        method: "POST"
      }
    );
    setMessage(res.ok ? "" : `Could not start it (${res.status})`);
  }

  function command(what: string, run: Promise<unknown>) {
    run.then(
      () => setMessage(""),
      (error: unknown) => setMessage(`${what}: ${error instanceof Error ? error.message : error}`)
    );
  }

  return (
    <main>
      <header>
        <h1>Background tasks</h1>
        <span id="connection" data-status={status} className={`connection ${status}`}>
          {STATUS_TEXT[status]}
        </span>
        <a href={`/?agent=${encodeURIComponent(agent)}`}>Chat</a>
      </header>
      <p className="sub">
        Agent <b>{agent}</b>: a React page on <code>useBackgroundTasks</code>.
      </p>
      {status === "unauthorized" ? (
        <p id="unauthorized" role="alert">
          Not authorized: this agent's <code>authorizeBackground</code> refused the connection.{" "}
          <button type="button" onClick={reconnect}>
            Try again
          </button>
        </p>
      ) : null}
      {live && !canCommand ? (
        <p className="sub">Read-only: this page was not opened from the agent's own host.</p>
      ) : null}
      <form
        className="actions"
        onSubmit={(event) => {
          event.preventDefault();
          void start(`/api/research?topic=${encodeURIComponent(topic)}`);
        }}
      >
        <input
          aria-label="Topic"
          value={topic}
          onChange={(event) => setTopic(event.target.value)}
        />
        <button type="submit" id="start-research" disabled={!live}>
          Research it
        </button>
        <button
          type="button"
          id="start-import"
          disabled={!live}
          onClick={() => void start("/api/import")}
        >
          Import the sample file
        </button>
      </form>
      <p id="message" role="status">
        {message}
      </p>
      <table>
        <thead>
          <tr>
            <th>Status</th>
            <th>Title</th>
            <th>Agent</th>
            <th>Progress</th>
            <th>Outcome</th>
            <th />
          </tr>
        </thead>
        <tbody id="rows">
          {tasks.length === 0 ? (
            <tr>
              <td colSpan={6} className="empty">
                {live ? "No tasks yet." : ""}
              </td>
            </tr>
          ) : (
            tasks.map((task) => (
              <Row
                key={task.id}
                task={task}
                canCommand={live && canCommand}
                onCancel={(id) => command("Cancel", cancel(id))}
                onRetry={(id) => command("Retry", retryDelivery(id))}
              />
            ))
          )}
        </tbody>
      </table>
    </main>
  );
}
