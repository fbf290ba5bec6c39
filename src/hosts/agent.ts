// BackgroundAgent: any Agent with background tasks. It has no chat, so each
// task names the method that receives its notices: `{ onFinish: "method" }`.

import { Agent } from "agents";
import type { BackgroundEngine } from "../engine/engine";
import { type BackgroundNotice, defaultNoticeText } from "../engine/notice";
import type { BackgroundOptions } from "../engine/options";
import { installBackground } from "./install";

export class BackgroundAgent<
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
> extends Agent<Env, State, Props> {
  /** Limits and cadence for this class; validated once, on first use. */
  static backgroundOptions: BackgroundOptions | undefined;

  /** Start, read and cancel background tasks. */
  readonly background: BackgroundEngine = installBackground(this, this.ctx);

  /** The text of a notice, as passed to the `onFinish` method. */
  renderBackgroundNotice(notice: BackgroundNotice): string {
    return defaultNoticeText(notice);
  }

  /** The backbone's scheduled callback. Called by the scheduler, not by you. */
  async backgroundTick(payload?: { step?: number }): Promise<void> {
    await this.background.tick(payload);
  }
}
