// Transcript helpers for clients: recognise background notices by the stamp
// the engine puts on each notice message, and hide or pick them out.

import { DEFAULT_NOTICE_SOURCE, noticeMetadata } from "../wire/notice";

type MessageLike = { role: string; metadata?: unknown };

export function isBackgroundNotice(
  message: MessageLike,
  sources: readonly string[] = [DEFAULT_NOTICE_SOURCE]
): boolean {
  return noticeMetadata(message, sources) !== null;
}

/** The transcript without background notices, for rendering a plain chat. */
export function withoutBackgroundNotices<M extends MessageLike>(
  messages: readonly M[],
  sources: readonly string[] = [DEFAULT_NOTICE_SOURCE]
): M[] {
  return messages.filter((m) => !isBackgroundNotice(m, sources));
}
