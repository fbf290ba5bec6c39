// Types `exports` from "cloudflare:workers" as the test worker's module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./worker/index");
  }
}
