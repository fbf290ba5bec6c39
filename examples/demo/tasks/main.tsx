// The tasks page's entry: the agent instance from `?agent=` (as on the chat
// page), rendered into #root.

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { TasksApp } from "./app";

const agent = new URLSearchParams(location.search).get("agent") || "demo";
const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <TasksApp agent={agent} />
    </StrictMode>
  );
}
