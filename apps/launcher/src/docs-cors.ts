/**
 * The parts server's /docs page authorizes from the browser: Swagger UI posts to the issuer's token endpoint,
 * a cross-origin request the issuer answers only for origins in ISSUER_CORS_ORIGINS. The launcher adds the
 * API's own origin to whatever that variable already lists (parsed by the launcher's configuration), so "Authorize" works on the local set-up.
 */
export function issuerCorsOrigins(apiOrigin: string, listed: readonly string[]): string {
  return [...new Set([...listed, apiOrigin])].join(",");
}
