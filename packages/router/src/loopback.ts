/**
 * Hosts that never leave the machine. Plain `http:` is acceptable for an issuer only there (a local development
 * issuer); everywhere else tokens and keys must travel over TLS. Shared by the API's configuration, the embedded
 * issuer and the client, so the three agree on what "loopback" means.
 */
export const loopbackHosts: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when `url` names a loopback host; false for anything that is not a URL. */
export function isLoopbackUrl(url: string | URL): boolean {
  const parsed = typeof url === "string" ? URL.parse(url) : url;
  return parsed !== null && loopbackHosts.has(parsed.hostname);
}
