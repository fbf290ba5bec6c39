// agents-background/ai-chat: the AIChatAgent host, apart from the main entry
// so that apps without `@cloudflare/ai-chat` never load it.
export { BackgroundAIChatAgent } from "./hosts/ai-chat";
