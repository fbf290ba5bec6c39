import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import type { UIMessage } from "ai";
import { type BackgroundTask, noticeMetadata, type StartResult } from "../../src/index";
import type { Env, ErrorEnvelope } from "../worker/index";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `read` until `ok` holds or `ms` pass; returns the last value either way. */
export async function until<T>(
  read: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 10_000
): Promise<T> {
  const end = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < end) {
    await sleep(25);
    value = await read();
  }
  return value;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** The test worker's bindings (the global Env type is left to the demo). */
export const testEnv = env as unknown as Env;

export function parent(name = uniqueName("p")) {
  return getAgentByName(testEnv.TestParent, name);
}

export function started(result: StartResult | ErrorEnvelope): StartResult {
  if ("error" in result) throw new Error(`start failed: ${result.error.message}`);
  return result;
}

/** The background notices in a transcript, in order. */
export function notices(messages: UIMessage[]): { taskId: string; status: string; text: string }[] {
  return messages.flatMap((m) => {
    const meta = noticeMetadata(m);
    if (!meta) return [];
    const text = m.parts.map((p) => (p.type === "text" ? p.text : "")).join("");
    return [{ taskId: meta.taskId, status: meta.status, text }];
  });
}

// Stub methods whose results contain `unknown` are typed `never` across RPC:
// these read them back with their real types.
type Readable = {
  transcript(): Promise<unknown>;
  getTask(taskId: string): Promise<unknown>;
};

export async function transcriptOf(p: Pick<Readable, "transcript">): Promise<UIMessage[]> {
  return (await p.transcript()) as UIMessage[];
}

export async function taskOf(
  p: Pick<Readable, "getTask">,
  taskId: string
): Promise<BackgroundTask | null> {
  return (await p.getTask(taskId)) as BackgroundTask | null;
}

/** The notices in `p`'s transcript. */
export async function noticesOf(p: Pick<Readable, "transcript">) {
  return notices(await transcriptOf(p));
}

// ── The model's tools, driven by the scripted model ──────────────────────────

export type Call = { toolName: string; input: unknown; toolCallId?: string };
export type Envelope = Record<string, unknown> & {
  ok: boolean;
  error?: { code: string; message: string; retryable: boolean };
};

export function toolParent(name = uniqueName("tools")) {
  return getAgentByName(testEnv.ToolParent, name);
}
export type ToolParentStub = Awaited<ReturnType<typeof toolParent>>;

export function textOf(message: { parts: { type: string; text?: string }[] }): string {
  return message.parts.map((p) => (p.type === "text" ? (p.text ?? "") : "")).join("");
}

/** One user turn in which the model makes `calls`; returns each tool's output. */
export async function runTools(p: ToolParentStub, calls: Call[]): Promise<Envelope[]> {
  const prompt = `TOOLS: ${JSON.stringify(calls)}`;
  await p.userTurn(prompt);
  const messages = await transcriptOf(p);
  const asked = messages.findLastIndex((m) => m.role === "user" && textOf(m) === prompt);
  const reply = messages.slice(asked + 1).find((m) => textOf(m).includes("RESULTS: "));
  if (!reply) throw new Error(`no tool results after ${prompt}`);
  return JSON.parse(textOf(reply).split("RESULTS: ")[1] ?? "[]") as Envelope[];
}

/**
 * The backbone's polling jobs: due within the hour. An idle parent keeps at
 * most one backbone job, its retention sweep, days ahead (the SDK times its
 * jobs in epoch ms).
 */
export async function pollingJobs(p: {
  jobs(): Promise<{ callback: string; time: number }[]>;
}): Promise<{ callback: string; time: number }[]> {
  const hour = Date.now() + 60 * 60 * 1000;
  return (await p.jobs()).filter((job) => job.callback === "backgroundTick" && job.time < hour);
}
