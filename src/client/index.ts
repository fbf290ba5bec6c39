// Client entry point: safe to import in a browser bundle (no server code).
export {
  DEFAULT_NOTICE_SOURCE,
  type NoticeMetadata,
  noticeMetadata
} from "../wire/notice";
export { isBackgroundNotice, withoutBackgroundNotices } from "./transcript";
