// React entry point (agents-background/react): the live task list of one
// agent for a component, over the board socket. Client code only: it imports
// the wire format and types, never the engine, so it loads in a browser.
export type { BoardTask, CancelResult, RetryDeliveryResult } from "../wire/board";
export { BackgroundCommandError } from "./commands";
export {
  type BackgroundTasksStatus,
  type BackgroundTasksView,
  type UseBackgroundTasksOptions,
  useBackgroundTasks
} from "./use-background-tasks";
