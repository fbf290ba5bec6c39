// agents-background: background (detached) sub-agent runs for the Agents SDK.

export { type AuthorizeResult, isLocalRequest } from "./board/access";
export { BOARD_HEADER } from "./board/api";
export type { BoardTask } from "./board/view";
export {
  isBackgroundNotice,
  type NoticeMetadata,
  noticeMetadata,
  withoutBackgroundNotices
} from "./client/transcript";
export type { NoticeMessageMetadata } from "./engine/delivery";
export type { ChildClass } from "./engine/dispatch";
export type {
  BatchResult,
  CancelResult,
  ListOptions,
  ListResult,
  StartResult,
  WaitOptions,
  WaitResult
} from "./engine/engine";
export { BackgroundEngine } from "./engine/engine";
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
export type {
  BackgroundBatch,
  BackgroundTask,
  BatchDelivery,
  Delivery,
  NoticeState
} from "./engine/ledger";
export {
  type BackgroundNotice,
  type BatchNotice,
  cutText,
  defaultNoticeText,
  type FinishNotice,
  type TaskNotice
} from "./engine/notice";
export { type BackgroundOptions, DEFAULT_OPTIONS } from "./engine/options";
export {
  type GiveUpReason,
  type NoticeSlot,
  TASK_STATUSES,
  type TaskStatus
} from "./engine/status";
export type { BatchOptions, DeliveryOption, StartOptions } from "./engine/validate";
export { BackgroundAgent } from "./hosts/agent";
export { BackgroundThink } from "./hosts/think";
export { TOOL_ERROR_CODES, type ToolErrorCode, type ToolFailure } from "./tools/envelope";
export {
  type AllowedAgent,
  DEFAULT_TOOL_NAMES,
  type ToolKey,
  type ToolSetOptions
} from "./tools/options";
export { backgroundTools } from "./tools/tool-set";
