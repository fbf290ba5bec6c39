// BackgroundThink: a Think agent with background tasks. Notices arrive in the
// chat as user-role messages that start a model turn; the task board is
// served under the agent's URL at …/background/board.

import { Think } from "@cloudflare/think";
import type { Agent, Connection, ConnectionContext } from "agents";
import type { AuthorizeResult } from "../board/access";
import { handleBoardRequest } from "../board/api";
import { acceptBoardConnection, boardTags, guardDrillIn, publishTask } from "../board/hooks";
import type { BackgroundEngine } from "../engine/engine";
import { HOST_BASE_PROTOTYPES } from "../engine/host";
import { type BackgroundNotice, defaultNoticeText } from "../engine/notice";
import type { BackgroundOptions } from "../engine/options";
import { installBackground } from "./install";

export class BackgroundThink<
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
> extends Think<Env, State, Props> {
  /** Limits and cadence for this class; validated once, on first use. */
  static backgroundOptions: BackgroundOptions | undefined;

  /** Start, read, wait on and cancel background tasks. */
  readonly background: BackgroundEngine = installBackground(this, this.ctx, (taskId) =>
    publishTask(this, taskId)
  );

  /** The text of a notice. Override to word it your way; return "" to send none. */
  renderBackgroundNotice(notice: BackgroundNotice): string {
    return defaultNoticeText(notice);
  }

  /**
   * Who may use the task board, its JSON API and drill-in to children. Denies
   * by default: override it (for example with `isLocalRequest(request)`).
   * Return true, false (403) or a Response of your own.
   */
  authorizeBackground(_request: Request): AuthorizeResult | Promise<AuthorizeResult> {
    return false;
  }

  /** The backbone's scheduled callback. Called by the scheduler, not by you. */
  async backgroundTick(payload?: { step?: number }): Promise<void> {
    await this.background.tick(payload);
  }

  override async onRequest(request: Request): Promise<Response> {
    return (await handleBoardRequest(this, request)) ?? super.onRequest(request);
  }

  override getConnectionTags(
    connection: Connection,
    ctx: ConnectionContext
  ): string[] | Promise<string[]> {
    const tags = super.getConnectionTags(connection, ctx);
    return Array.isArray(tags)
      ? [...tags, ...boardTags(ctx)]
      : Promise.resolve(tags).then((t) => [...t, ...boardTags(ctx)]);
  }

  override async onConnect(connection: Connection, ctx: ConnectionContext): Promise<void> {
    if (await acceptBoardConnection(this, connection, ctx)) return;
    return super.onConnect(connection, ctx);
  }

  override async onBeforeSubAgent(
    request: Request,
    child: { className: string; name: string }
  ): ReturnType<Agent["onBeforeSubAgent"]> {
    return (await guardDrillIn(this, request, child)) ?? super.onBeforeSubAgent(request, child);
  }
}

// Methods of this class (and the SDK's above it) are never a task's onFinish.
HOST_BASE_PROTOTYPES.add(BackgroundThink.prototype);
