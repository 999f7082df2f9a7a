import { isLoopbackUrl } from "@parts/router/loopback";
import { z } from "zod";

export { isLoopbackUrl };

/** https everywhere except loopback; no path, since the issuer serves its endpoints at the root. */
export const IssuerUrl = z
  .url()
  .refine((value) => {
    const url = URL.parse(value);
    if (url === null) return false;
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(value));
  }, "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])")
  .refine((value) => URL.parse(value)?.pathname === "/" && !URL.parse(value)?.search, "must have no path or query")
  .transform((value) => value.replace(/\/$/, ""));

/** A browser origin as browsers send it: `scheme://host[:port]`, lower-case, no default port, path or slash. */
export function isOrigin(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
}

export const CorsOrigin = z.string().refine(isOrigin, "must be an origin like https://app.example or http://localhost:5173");

/** Comma-separated exact origins; blank entries are ignored, any other non-origin is an error naming it. */
export const CorsOrigins = z.string().transform((value, ctx) => {
  const origins = value.split(",").map((origin) => origin.trim()).filter(Boolean);
  const invalid = origins.filter((origin) => !isOrigin(origin));
  if (invalid.length > 0) {
    ctx.addIssue({
      code: "custom",
      message: `not an origin (scheme://host[:port], no path or trailing slash): ${invalid.map((origin) => JSON.stringify(origin)).join(", ")}`,
    });
  }
  return origins;
});
