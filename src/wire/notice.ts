// The notice wire format: what a notice message carries about itself, shared
// by the engine (which stamps it) and clients (which read it back). No
// server code here: a browser bundle imports it.
//
// A client can put any metadata on the messages it sends, so the top-level
// `metadata.source` of a message proves nothing. The engine repeats a
// notice's facts under `metadata.turnMetadata`, a key the SDK's chat hosts
// keep server-only: they strip it from every message a client sends. Readers
// trust that copy alone.

/** The default `metadata.source` of notices. */
export const DEFAULT_NOTICE_SOURCE = "background-task";

/** The key of a notice's facts under the server-only `metadata.turnMetadata`. */
export const NOTICE_STAMP = "backgroundNotice";

/** What a notice says about itself. */
export type NoticeMetadata = { source: string; taskId: string; status: string };

/** The facts a notice message carries; a batch or a merged notice lists every task it reports. */
export type NoticeFacts = NoticeMetadata & { taskIds?: string[] };

/**
 * Metadata on every notice message: the facts, readable at the top, and the
 * same facts under `turnMetadata`, which only the server can set.
 */
export type NoticeMessageMetadata = NoticeFacts & {
  turnMetadata: { [NOTICE_STAMP]: NoticeFacts };
};

type MessageLike = { role: string; metadata?: unknown };

/** The metadata a notice message carries, stamped. */
export function stampNotice(facts: NoticeFacts): NoticeMessageMetadata {
  return { ...facts, turnMetadata: { [NOTICE_STAMP]: facts } };
}

/**
 * The notice metadata of `message`, or null when it is not a background notice
 * (a message a client sent with notice-like metadata is not one).
 * `sources` limits which sources count (default: the engine's default source).
 * Self-contained (no outside names, no inner functions), so a page can inline
 * it with `toString()`.
 */
export function noticeMetadata(
  message: MessageLike,
  sources: readonly string[] = ["background-task"]
): NoticeMetadata | null {
  if (message.role !== "user") return null;
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
