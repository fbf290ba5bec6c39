// BackgroundAIChatAgent: an AIChatAgent (`@cloudflare/ai-chat`) with
// background tasks, from the same host shell as every host.
//
// AIChatAgent has no durable, keyed submissions and keeps no metadata
// server-only, so this adapter brings both:
// - a notice is stored under its key (bg_chat_submissions) before its turn is
//   asked for with `saveMessages`, so a key is used once for good; after a
//   restart, a submission whose turn never began is asked for again once the
//   chat's own recovery has settled (a turn that began is the chat
//   recovery's to finish);
// - the notice messages are vouched for (bg_chat_notices): when a message is
//   persisted, one with a vouched id is stored exactly as the host sent it,
//   and any other loses `metadata.turnMetadata`, so a client can neither
//   forge a notice nor rewrite one.

import { AIChatAgent } from "@cloudflare/ai-chat";
import type { Agent } from "agents";
import { listActiveChatRecoveryIncidents } from "agents/chat";
import type { UIMessage } from "ai";
import { logError } from "../engine/host";
import { ChatSubmissions } from "../engine/ledger/chat-submissions";
import { Sql } from "../engine/ledger/sql";
import type { BackgroundOptions } from "../engine/options";
import { type BackgroundHost, type ChatAdapter, withBackground } from "./shell";

/** How long the chat must be quiet after a restart before a queued notice asks for its turn. */
const QUIET_MS = 1000;
/** The longest a queued notice waits for the chat's own recovery after a restart. */
const RECOVERY_WAIT_MS = 60_000;

type AIChat = {
  messages: UIMessage[];
  saveMessages(
    messages: (current: readonly UIMessage[]) => UIMessage[]
  ): Promise<{ requestId: string; status: string }>;
  persistMessages(messages: UIMessage[]): Promise<void>;
  keepAliveWhile<T>(fn: () => Promise<T>): Promise<T>;
  onStart(props?: unknown): unknown;
  onChatMessage(onFinish: unknown, options?: { requestId?: string }): Promise<Response | undefined>;
  onChatResponse(result: { requestId: string }): unknown;
  sanitizeMessageForPersistence(message: UIMessage): UIMessage;
};

const submissionsOf = new WeakMap<object, ChatSubmissions>();

function submissions(host: object, ctx: DurableObjectState): ChatSubmissions {
  let ledger = submissionsOf.get(host);
  if (!ledger) {
    ledger = new ChatSubmissions(new Sql(ctx.storage));
    submissionsOf.set(host, ledger);
  }
  return ledger;
}

/** Ask for a queued submission's turn: its messages appended (those not there yet), one turn. */
function drive(host: AIChat, ledger: ChatSubmissions, submissionId: string): void {
  host
    .keepAliveWhile(async () => {
      const queued = ledger.byId(submissionId);
      if (queued?.state !== "queued") return;
      await host.saveMessages((current) => {
        const present = new Set(current.map((m) => m.id));
        return [...current, ...queued.messages.filter((m) => !present.has(m.id))];
      });
      ledger.advance(submissionId, "done", ["queued", "started"]);
    })
    .catch((error: unknown) => logError("a notice's turn failed to start", error));
}

/** After a restart: let the chat's own recovery settle, then ask again for what never began. */
async function resume(host: AIChat, ctx: DurableObjectState, ledger: ChatSubmissions) {
  for (const open of ledger.open()) {
    if (open.state === "started") ledger.advance(open.submission_id, "done", ["started"]);
  }
  if (ledger.open().length === 0) return;
  const deadline = Date.now() + RECOVERY_WAIT_MS;
  let quietSince: number | null = null;
  while (Date.now() < deadline) {
    const busy = (await listActiveChatRecoveryIncidents(ctx.storage)).length > 0;
    quietSince = busy ? null : (quietSince ?? Date.now());
    if (quietSince !== null && Date.now() - quietSince >= QUIET_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const open of ledger.open()) drive(host, ledger, open.submission_id);
}

export const aiChat: ChatAdapter = {
  delivery(host, ctx) {
    const chat = host as AIChat;
    const ledger = submissions(host, ctx);
    return {
      async submit(messages, idempotencyKey) {
        const existing = ledger.byKey(idempotencyKey);
        if (existing) return { submissionId: existing.submission_id, accepted: false };
        const submissionId = `sub_${crypto.randomUUID()}`;
        ledger.insert(idempotencyKey, submissionId, messages, Date.now());
        drive(chat, ledger, submissionId);
        return { submissionId, accepted: true };
      },
      async add(messages) {
        ledger.vouch(messages);
        const present = new Set(chat.messages.map((m) => m.id));
        const missing = messages.filter((m) => !present.has(m.id));
        if (missing.length > 0) await chat.persistMessages(missing);
      },
      async forget(submissionId) {
        ledger.forget(submissionId);
      }
    };
  },

  watchTurns(host, turns) {
    const chat = host as AIChat;
    const ledger = submissionsOf.get(host);
    // A turn of one of our submissions (or the chat's recovery of it) is
    // reported under the submission's id, which delivery waits on.
    const reported = new Map<string, string>();
    const onChatMessage = chat.onChatMessage.bind(host);
    chat.onChatMessage = async (onFinish, options) => {
      const requestId = options?.requestId ?? crypto.randomUUID();
      const present = new Set(chat.messages.map((m) => m.id));
      const mine = ledger
        ?.open()
        .find((s) => s.messages.length > 0 && s.messages.every((m) => present.has(m.id)));
      if (mine) ledger?.advance(mine.submission_id, "started", ["queued"]);
      const id = mine?.submission_id ?? requestId;
      reported.set(requestId, id);
      turns.started(id);
      let response: Response | undefined;
      try {
        response = await onChatMessage(onFinish, options);
        return response;
      } finally {
        // A turn without a body streams nothing and gets no onChatResponse.
        if (!response?.body) {
          reported.delete(requestId);
          turns.ended(id);
        }
      }
    };
    const onChatResponse = chat.onChatResponse.bind(host);
    chat.onChatResponse = async (result) => {
      try {
        return await onChatResponse(result);
      } finally {
        turns.ended(reported.get(result.requestId) ?? result.requestId);
        reported.delete(result.requestId);
      }
    };
  },

  install(host, ctx) {
    const chat = host as AIChat;
    const ledger = submissions(host, ctx);
    const sanitize = chat.sanitizeMessageForPersistence.bind(host);
    chat.sanitizeMessageForPersistence = (message) => {
      const vouched = ledger.vouched(message.id);
      if (vouched) return vouched;
      const clean = sanitize(message);
      const metadata = clean.metadata;
      if (!metadata || typeof metadata !== "object" || !("turnMetadata" in metadata)) return clean;
      const { turnMetadata: _stripped, ...rest } = metadata as Record<string, unknown>;
      return { ...clean, metadata: rest };
    };
    const onStart = chat.onStart.bind(host);
    chat.onStart = async (props) => {
      const result = await onStart(props);
      chat
        .keepAliveWhile(() => resume(chat, ctx, ledger))
        .catch((error: unknown) => logError("resuming queued notices failed", error));
      return result;
    };
  }
};

type AIChatHostClass = abstract new <
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
>(
  ctx: DurableObjectState,
  env: Env
) => AIChatAgent<Env, State, Props> & BackgroundHost;

const AIChatHost = withBackground(
  AIChatAgent as unknown as typeof Agent<Cloudflare.Env, unknown, object>,
  aiChat
) as unknown as AIChatHostClass;

export class BackgroundAIChatAgent<
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
> extends AIChatHost<Env, State, Props> {
  /** Limits and cadence for this class; validated once, on first use. */
  static backgroundOptions: BackgroundOptions | undefined;
}
