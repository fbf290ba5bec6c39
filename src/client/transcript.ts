// Transcript helpers for clients: recognise background notices by the stamp
// the engine puts on each notice message, and hide or pick them out.
//
// A client can put any metadata on the messages it sends, so the top-level
// `metadata.source` of a message proves nothing. The engine repeats a notice's
// facts under `metadata.turnMetadata`, a key Think keeps server-only: it strips
// it from every message a client sends. These helpers trust that copy alone.

/** What a notice says about itself. */
export type NoticeMetadata = { source: string; taskId: string; status: string };

type MessageLike = { role: string; metadata?: unknown };

/** The default `metadata.source` of notices. */
export const DEFAULT_NOTICE_SOURCE = "background-task";

/** The key of a notice's facts under the server-only `metadata.turnMetadata`. */
export const NOTICE_STAMP = "backgroundNotice";

/**
 * The notice metadata of `message`, or null when it is not a background notice
 * (a message a client sent with notice-like metadata is not one).
 * `sources` limits which sources count (default: the engine's default source).
 * Self-contained (no outside names), so a page can inline it with `toString()`.
 */
export function noticeMetadata(
  message: MessageLike,
  sources: readonly string[] = ["background-task"]
): NoticeMetadata | null {
  if (message.role !== "user") return null;
  // No inner functions: a bundler may wrap them in helpers a page lacks.
  let stamp: unknown = message.metadata;
  for (const key of ["turnMetadata", "backgroundNotice"]) {
    stamp =
      stamp && typeof stamp === "object" && !Array.isArray(stamp)
        ? (stamp as Record<string, unknown>)[key]
        : undefined;
  }
  if (!stamp || typeof stamp !== "object") return null;
  const { source, taskId, status } = stamp as Record<string, unknown>;
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
