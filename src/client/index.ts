// Client entry point: safe to import in a browser bundle (no server code).
export {
  DEFAULT_NOTICE_SOURCE,
  isBackgroundNotice,
  type NoticeMetadata,
  noticeMetadata,
  withoutBackgroundNotices
} from "./transcript";
