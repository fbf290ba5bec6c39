// BackgroundThink: a Think agent with background tasks. Notices arrive in the
// chat through `submitMessages` (a turn) or `addMessages` (no turn); the task
// board is served under the agent's URL at …/background/board.

import { Think } from "@cloudflare/think";
import type { Agent } from "agents";
import type { UIMessage } from "ai";
import type { BackgroundOptions } from "../engine/options";
import { type BackgroundHost, type ChatAdapter, withBackground } from "./shell";

type ThinkChat = {
  submitMessages(
    messages: UIMessage[],
    options: { idempotencyKey: string }
  ): Promise<{ submissionId: string; accepted: boolean }>;
  addMessages(messages: UIMessage[]): Promise<void>;
  deleteSubmission(submissionId: string): Promise<boolean>;
  beforeTurn(turn: { requestId?: string }): unknown;
  onChatResponse(result: { requestId?: string }): unknown;
};

/** Think's chat: submissions start a turn; `beforeTurn`/`onChatResponse` bracket every turn. */
export const thinkChat: ChatAdapter = {
  delivery(host) {
    const chat = host as ThinkChat;
    return {
      submit: (messages, idempotencyKey) => chat.submitMessages(messages, { idempotencyKey }),
      add: (messages) => chat.addMessages(messages),
      forget: async (submissionId) => {
        await chat.deleteSubmission(submissionId);
      }
    };
  },
  watchTurns(host, turns) {
    const chat = host as ThinkChat;
    const before = chat.beforeTurn.bind(host);
    chat.beforeTurn = (turn) => {
      if (turn.requestId) turns.started(turn.requestId);
      return before(turn);
    };
    const after = chat.onChatResponse.bind(host);
    chat.onChatResponse = async (result) => {
      try {
        return await after(result);
      } finally {
        if (result.requestId) turns.ended(result.requestId);
      }
    };
  }
};

type ThinkHostClass = abstract new <
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
>(
  ctx: DurableObjectState,
  env: Env
) => Think<Env, State, Props> & BackgroundHost;

const ThinkHost = withBackground(
  Think as unknown as typeof Agent<Cloudflare.Env, unknown, object>,
  thinkChat
) as unknown as ThinkHostClass;

export class BackgroundThink<
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
> extends ThinkHost<Env, State, Props> {
  /** Limits and cadence for this class; validated once, on first use. */
  static backgroundOptions: BackgroundOptions | undefined;
}
