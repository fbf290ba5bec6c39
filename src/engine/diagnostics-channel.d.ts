// The part of Node's `diagnostics_channel` the engine uses (workerd provides
// it with `nodejs_compat`). Declared here so the package needs no Node types.
declare module "node:diagnostics_channel" {
  export function channel(name: string): {
    hasSubscribers: boolean;
    publish(message: unknown): void;
  };
  export function subscribe(
    name: string,
    onMessage: (message: unknown, name: string) => void
  ): void;
  export function unsubscribe(
    name: string,
    onMessage: (message: unknown, name: string) => void
  ): boolean;
}
