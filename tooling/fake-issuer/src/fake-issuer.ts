import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

/**
 * A minimal OIDC issuer for tests: real key pairs, real discovery and JWKS documents over HTTP on an
 * ephemeral port, and a signer for tokens of any shape (including hostile ones).
 */
export interface FakeIssuer {
  issuer: string;
  audience: string;
  /** Signs an RFC 9068 access token; `claims` and `header` override the defaults. */
  sign(claims?: JWTPayload, options?: { header?: Record<string, unknown>; key?: FakeIssuerKey; expiresIn?: number }): Promise<string>;
  /** Adds a key pair (published in the JWKS unless `publish` is false) and makes it the signing key. */
  rotate(options?: { alg?: string; publish?: boolean; kid?: string }): Promise<FakeIssuerKey>;
  keys: FakeIssuerKey[];
  /** Number of JWKS and discovery documents served. */
  requests: { jwks: number; discovery: number };
  /** While false the issuer answers every request with 503. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

export interface FakeIssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  published: boolean;
}

export async function startFakeIssuer(options: { audience?: string; alg?: string } = {}): Promise<FakeIssuer> {
  const keys: FakeIssuerKey[] = [];
  const requests = { jwks: 0, discovery: 0 };
  let available = true;
  let issuer = "";

  const server: Server = createServer((req, res) => {
    if (!available) {
      res.writeHead(503).end();
      return;
    }
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/openid-configuration") {
      requests.discovery++;
      json({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` });
    } else if (req.url === "/jwks") {
      requests.jwks++;
      json({ keys: keys.filter((k) => k.published).map((k) => k.publicJwk) });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function rotate({ alg = options.alg ?? "ES256", publish = true, kid }: { alg?: string; publish?: boolean; kid?: string } = {}) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const key: FakeIssuerKey = {
      kid: kid ?? `key-${keys.length + 1}`,
      alg,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid: kid ?? `key-${keys.length + 1}`, alg, use: "sig" },
      published: publish,
    };
    keys.unshift(key);
    return key;
  }
  await rotate();
  const audience = options.audience ?? "api://parts";

  return {
    get issuer() {
      return issuer;
    },
    audience,
    keys,
    requests,
    rotate,
    setAvailable(value) {
      available = value;
    },
    async sign(claims = {}, { header = {}, key = keys.find((k) => k.published) ?? keys[0]!, expiresIn = 300 } = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: audience,
        sub: "test-client",
        client_id: "test-client",
        scope: "parts:read parts:write",
        iat: now,
        exp: now + expiresIn,
        jti: crypto.randomUUID(),
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, typ: "at+jwt", kid: key.kid, ...header })
        .sign(key.privateKey);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
