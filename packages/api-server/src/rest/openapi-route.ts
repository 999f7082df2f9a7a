import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenVerifier } from "@parts/router";
import { createOpenApiDocument } from "./openapi-document.ts";
import { problem, sendProblem } from "./problem.ts";

export const openApiPath = "/openapi.json";

export function isOpenApiPath(url: string): boolean {
  return url === openApiPath || url.startsWith(`${openApiPath}?`);
}

/**
 * Serves the OpenAPI document. Everything in it is generated at start-up except the token URL, which comes from
 * the issuer's discovery document the verifier loads anyway; until that has been loaded the answer is 503.
 */
export function createOpenApiHandler(verifier: Pick<TokenVerifier, "tokenEndpoint">) {
  const document = createOpenApiDocument();
  let served: { tokenUrl: string; json: string } | undefined;

  function jsonFor(tokenUrl: string): string {
    if (served?.tokenUrl !== tokenUrl) served = { tokenUrl, json: JSON.stringify(document.withTokenUrl(tokenUrl)) };
    return served.json;
  }

  return async function handleOpenApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendProblem(res, problem("method-not-allowed", `${req.method} is not allowed here; allowed: GET, HEAD`), { allow: "GET, HEAD" });
    }
    const tokenUrl = await verifier.tokenEndpoint().catch(() => null);
    if (!tokenUrl) {
      const detail = tokenUrl === null ? "the issuer's metadata cannot be loaded now" : "the issuer's metadata names no token endpoint";
      return sendProblem(res, problem("issuer-unavailable", `${detail}; the document names the token URL, retry later`), { "retry-after": "1" });
    }
    const json = jsonFor(tokenUrl.href);
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)) }).end(json);
  };
}
