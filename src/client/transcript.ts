// Transcript helpers for clients: recognise background notices by the
// metadata the engine puts on each notice message, and hide or pick them out.

/** The metadata the engine puts on every notice message. */
export type NoticeMetadata = { source: string; taskId: string; status: string };

type MessageLike = { role: string; metadata?: unknown };

/** The default `metadata.source` of notices. */
export const DEFAULT_NOTICE_SOURCE = "background-task";

/**
 * The notice metadata of `message`, or null when it is not a background notice.
 * `sources` limits which sources count (default: the engine's default source).
 */
export function noticeMetadata(
  message: MessageLike,
  sources: readonly string[] = [DEFAULT_NOTICE_SOURCE]
): NoticeMetadata | null {
  if (message.role !== "user") return null;
  const meta = message.metadata;
  if (!meta || typeof meta !== "object") return null;
  const { source, taskId, status } = meta as Record<string, unknown>;
  if (typeof source !== "string" || !sources.includes(source)) return null;
  if (typeof taskId !== "string" || typeof status !== "string") return null;
  return { source, taskId, status };
}

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
