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

/** What the server uses of an issuer's metadata. */
export interface IssuerMetadata {
  /** Where the signing keys are published. */
  jwksUri: URL;
  /** Where clients get tokens (the OpenAPI document's client-credentials flow); some issuers publish none. */
  tokenEndpoint: URL | undefined;
}

/** Finds the issuer's `jwks_uri` and token endpoint, checking that the metadata belongs to exactly this issuer. */
export async function discoverIssuer(
  issuer: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<IssuerMetadata> {
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
    const metadata = (await response.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown; token_endpoint?: unknown } | undefined;
    if (metadata?.issuer !== issuer) {
      throw new DiscoveryError(`metadata at ${url} names issuer ${JSON.stringify(metadata?.issuer)}, expected ${issuer}`);
    }
    if (typeof metadata.jwks_uri !== "string") throw new DiscoveryError(`metadata at ${url} has no jwks_uri`);
    const tokenEndpoint = typeof metadata.token_endpoint === "string" ? URL.parse(metadata.token_endpoint) ?? undefined : undefined;
    return { jwksUri: new URL(metadata.jwks_uri), tokenEndpoint };
  }
  throw new DiscoveryError(`no issuer metadata found for ${issuer} (last status ${lastStatus})`);
}
