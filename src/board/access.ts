// Access to the task board, its JSON API and drill-in: one authorize hook on
// the host, denying by default. A refusal is 403 (or the hook's own Response).

/** What a host's `authorizeBackground` returns: allow, deny, or answer itself. */
export type AuthorizeResult = boolean | Response;

/** A request from this machine (loopback), for local demos and development. */
export function isLocalRequest(request: Request): boolean {
  const host = new URL(request.url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host === "::1";
}

/** Run the hook; returns null to go on, or the Response that refuses. */
export async function checkAccess(
  authorize: (request: Request) => AuthorizeResult | Promise<AuthorizeResult>,
  request: Request
): Promise<Response | null> {
  let verdict: AuthorizeResult;
  try {
    verdict = await authorize(request);
  } catch {
    verdict = false;
  }
  if (verdict instanceof Response) return verdict;
  if (verdict === true) return null;
  return new Response(JSON.stringify({ error: { code: "forbidden", message: "not authorized" } }), {
    status: 403,
    headers: { "content-type": "application/json" }
  });
}
