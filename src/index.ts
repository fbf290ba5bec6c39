// agents-background: background (detached) sub-agent runs for the Agents SDK.

// The task board.
export { type AuthorizeResult, isLocalRequest } from "./board/access";
export { BOARD_HEADER } from "./board/api";
export { isBackgroundNotice, withoutBackgroundNotices } from "./client/transcript";
// What `this.background` takes and gives.
export type { BackgroundTasks } from "./engine/engine";
// Errors.
export {
  BackgroundError,
  type BackgroundErrorCode,
  CycleError,
  InvalidInputError,
  InvalidOptionError,
  LimitExceededError,
  UnknownAgentError,
  UnknownTaskError
} from "./engine/errors";
// Observability: events on the `agents:background` diagnostics channel.
export {
  BACKGROUND_CHANNEL,
  type BackgroundEvent,
  type BackgroundEventPayloads,
  type BackgroundEventType,
  subscribe as subscribeBackgroundEvents
} from "./engine/events";
// Notices: their text, and how a client tells them apart.
export {
  type BackgroundNotice,
  type BatchNotice,
  cutText,
  defaultNoticeText,
  type FinishNotice,
  type TaskNotice
} from "./engine/notice";
// Options, validated once per class.
export { type BackgroundOptions, DEFAULT_OPTIONS } from "./engine/options";
export {
  type DeliveryPolicy,
  type DeliveryState,
  type GiveUpReason,
  type NoticeSlot,
  type RerunPolicy,
  TASK_STATUSES,
  type TaskStatus
} from "./engine/status";
export type {
  BackgroundBatch,
  BackgroundTask,
  BatchOptions,
  BatchResult,
  CancelResult,
  ChildClass,
  Delivery,
  DeliveryOption,
  ForgetResult,
  ListOptions,
  ListResult,
  NoticeState,
  PruneResult,
  RetryDeliveryResult,
  StartManyItem,
  StartOptions,
  StartResult,
  WaitOptions,
  WaitResult
} from "./engine/types";
// Hosts: extend one instead of Think or Agent.
export { BackgroundAgent } from "./hosts/agent";
export type { BackgroundHost } from "./hosts/shell";
export { BackgroundThink } from "./hosts/think";
// The model's tools.
export { TOOL_ERROR_CODES, type ToolErrorCode, type ToolFailure } from "./tools/envelope";
export {
  type AllowedAgent,
  DEFAULT_TOOL_NAMES,
  type ToolKey,
  type ToolSetOptions
} from "./tools/options";
export { backgroundTools } from "./tools/tool-set";
export type { BoardTask } from "./wire/board";
export { type NoticeMessageMetadata, type NoticeMetadata, noticeMetadata } from "./wire/notice";
