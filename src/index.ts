// agents-background: background (detached) sub-agent runs for the Agents SDK.

export {
  isBackgroundNotice,
  type NoticeMetadata,
  noticeMetadata,
  withoutBackgroundNotices
} from "./client/transcript";
export type {
  CancelResult,
  ChildClass,
  FinishNotice,
  ListOptions,
  ListResult,
  StartOptions,
  StartResult
} from "./engine/engine";
export { BackgroundEngine } from "./engine/engine";
export {
  BackgroundError,
  type BackgroundErrorCode,
  InvalidInputError,
  InvalidOptionError,
  LimitExceededError,
  UnknownAgentError
} from "./engine/errors";
export type { BackgroundTask, Delivery, NoticeState } from "./engine/ledger";
export { type BackgroundNotice, cutText, defaultNoticeText } from "./engine/notice";
export { type BackgroundOptions, DEFAULT_OPTIONS } from "./engine/options";
export {
  type GiveUpReason,
  type NoticeSlot,
  TASK_STATUSES,
  type TaskStatus
} from "./engine/status";
export { BackgroundAgent } from "./hosts/agent";
export { BackgroundThink } from "./hosts/think";
