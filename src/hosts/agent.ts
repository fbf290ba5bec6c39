// BackgroundAgent: any Agent with background tasks. It has no chat, so each
// task names the method that receives its notices: `{ onFinish: "method" }`.

import { Agent } from "agents";
import type { BackgroundOptions } from "../engine/options";
import { type BackgroundHost, withBackground } from "./shell";

type AgentHostClass = abstract new <
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
>(
  ctx: DurableObjectState,
  env: Env
) => Agent<Env, State, Props> & BackgroundHost;

const AgentHost = withBackground(Agent, null) as unknown as AgentHostClass;

export class BackgroundAgent<
  Env extends Cloudflare.Env = Cloudflare.Env,
  State = unknown,
  Props extends object = object
> extends AgentHost<Env, State, Props> {
  /** Limits and cadence for this class; validated once, on first use. */
  static backgroundOptions: BackgroundOptions | undefined;
}
