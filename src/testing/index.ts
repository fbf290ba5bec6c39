// Testing entry point: test your own background flows offline, in vitest with
// @cloudflare/vitest-plugin (workerd). A scripted model stands in for the
// real one; restarts and the backbone are driven on purpose; a task's notice
// is awaited. The model alone works in any worker.

export {
  type DeliveredNotice,
  noticeMessages,
  type WaitForNoticeOptions,
  waitForNotice
} from "./notices";
export { restartObjects, runBackbone } from "./objects";
export {
  readPrompt,
  type Script,
  type ScriptInput,
  type ScriptStep,
  scriptedModel
} from "./scripted-model";
