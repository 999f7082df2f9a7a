export class DiscoveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DiscoveryError";
  }
}

/**
 * Metadata locations for an issuer: OIDC discovery first, then RFC 8414 (which inserts the well-known
 * segment before the issuer's path, e.g. Okta's `/oauth2/default`).
 */
export function metadataUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  return [
    new URL(`${url.origin}${path}/.well-known/openid-configuration`),
    new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

/** Finds the issuer's `jwks_uri`, checking that the metadata belongs to exactly this issuer. */
export async function discoverJwksUri(
  issuer: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<URL> {
  const fetchImpl = options.fetch ?? fetch;
  let lastStatus = 0;
  for (const url of metadataUrls(issuer)) {
    const response = await fetchImpl(url, {
      headers: { accept: "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    }).catch((cause: unknown) => {
      throw new DiscoveryError(`issuer metadata unreachable at ${url.origin}`, { cause });
    });
    if (response.status === 404) {
      lastStatus = 404;
      continue;
    }
    if (response.status !== 200) throw new DiscoveryError(`issuer metadata answered ${response.status} at ${url}`);
    const metadata = (await response.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown } | undefined;
    if (metadata?.issuer !== issuer) {
      throw new DiscoveryError(`metadata at ${url} names issuer ${JSON.stringify(metadata?.issuer)}, expected ${issuer}`);
    }
    if (typeof metadata.jwks_uri !== "string") throw new DiscoveryError(`metadata at ${url} has no jwks_uri`);
    return new URL(metadata.jwks_uri);
  }
  throw new DiscoveryError(`no issuer metadata found for ${issuer} (last status ${lastStatus})`);
}
