/**
 * The docs page's Content-Security-Policy. Everything comes from this server ('self'): scripts only from served
 * files (no inline script, no eval: Swagger UI 5 needs neither), styles only from served stylesheets (React sets
 * its inline styles through the DOM, which style-src does not govern), images also as `data:` (swagger-ui.css
 * embeds its icons that way). The one other origin is the issuer's token endpoint, which the page's "Authorize"
 * dialog posts to (client credentials); without it known, the page can only reach this server.
 * The page cannot be framed, and has no forms or base URL to hijack.
 */
export function docsContentSecurityPolicy(tokenEndpoint: URL | undefined): string {
  const connect = tokenEndpoint && tokenEndpoint.origin !== "null" ? `'self' ${tokenEndpoint.origin}` : "'self'";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
