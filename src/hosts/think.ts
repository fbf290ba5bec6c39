// BackgroundThink: a Think agent with background tasks. Notices arrive in the
// chat as user-role messages that start a model turn.

import { Think } from "@cloudflare/think";
import type { BackgroundEngine } from "../engine/engine";
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

  /** Start, read and cancel background tasks. */
  readonly background: BackgroundEngine = installBackground(this, this.ctx);

  /** The text of a notice. Override to word it your way; return "" to send none. */
  renderBackgroundNotice(notice: BackgroundNotice): string {
    return defaultNoticeText(notice);
  }

  /** The backbone's scheduled callback. Called by the scheduler, not by you. */
  async backgroundTick(payload?: { step?: number }): Promise<void> {
    await this.background.tick(payload);
  }
}
