/**
 * Hostile bearer tokens against the real server process. Tokens with forged claims must be signed by a key
 * the server trusts, so these tests use the in-process fake issuer from `@parts/fake-issuer` (real key
 * pairs, real discovery and JWKS over HTTP) as the server's ISSUER: a real oidc-provider would never sign
 * an expired or wrong-audience token on request.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, healthz, rawRequest, trpcError, type CallResult } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";
import { b64url, compact, validClaims } from "./harness/tokens.ts";

let issuer: FakeIssuer;
let server: ServerProcess;
let attacker: { server: Server; url: string; hits: number };
let attempt = 0;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  server = await startServer({ issuer: issuer.issuer, audience: issuer.audience });
  const hits = { server: undefined as unknown as Server, url: "", hits: 0 };
  hits.server = createServer((_req, res) => {
    hits.hits++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [] }));
  });
  await new Promise<void>((resolve) => hits.server.listen(0, "127.0.0.1", resolve));
  hits.url = `http://127.0.0.1:${(hits.server.address() as AddressInfo).port}`;
  attacker = hits;
});

afterAll(async () => {
  // Nothing any hostile request tried to create exists.
  const valid = await issuer.sign({ scope: "parts:read" });
  const listed = await call(server.url, "query", "parts.list", { q: "HOSTILE", limit: 100 }, valid);
  expect(listed.status).toBe(200);
  expect(listed.body.result.data.items).toEqual([]);
  expect(attacker.hits).toBe(0);
  await disposeServer(server);
  await issuer.close();
  attacker.server.closeAllConnections();
  await new Promise((resolve) => attacker.server.close(resolve));
});

/** Tries to create a part with the given Authorization header value. */
function attack(authorization: string | undefined): Promise<CallResult> {
  attempt++;
  const input = { partNumber: `HOSTILE-${attempt}`, modelNumber: "M", name: "hostile" };
  return call(server.url, "mutation", "parts.create", input, null, authorization === undefined ? {} : { authorization });
}

function expectInvalidToken(result: CallResult) {
  expect(result.status).toBe(401);
  expect(trpcError(result)).toMatchObject({ code: "UNAUTHORIZED", authError: "invalid_token" });
  expect(result.headers.get("www-authenticate")).toMatch(/^Bearer realm="parts", error="invalid_token"/);
}

function expectInvalidRequest(result: CallResult) {
  expect([400, 401]).toContain(result.status);
  expect(trpcError(result).authError).toBe("invalid_request");
  expect(result.headers.get("www-authenticate")).toMatch(/error="invalid_request"/);
}

describe("signature and header attacks", () => {
  it("accepts a well-formed token (control)", async () => {
    const result = await call(server.url, "query", "parts.list", {}, await issuer.sign());
    expect(result.status).toBe(200);
  });

  it("rejects alg none without a signature", async () => {
    expectInvalidToken(await attack(`Bearer ${compact({ alg: "none", typ: "at+jwt" }, validClaims(issuer))}`));
  });

  it("rejects alg none carrying a real signature", async () => {
    const real = (await issuer.sign()).split(".")[2]!;
    const header = { alg: "none", typ: "at+jwt", kid: issuer.keys[0]!.kid };
    expectInvalidToken(await attack(`Bearer ${compact(header, validClaims(issuer), real)}`));
    expectInvalidToken(await attack(`Bearer ${compact({ alg: "NONE", typ: "at+jwt" }, validClaims(issuer), real)}`));
  });

  it("rejects HS256 signed with the issuer's public key as the HMAC secret (key confusion)", async () => {
    const key = issuer.keys[0]!;
    const publicKey = await importJWK(key.publicJwk, key.alg);
    const secrets = [
      new TextEncoder().encode(await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0])),
      new TextEncoder().encode(JSON.stringify(key.publicJwk)),
      Buffer.from(key.publicJwk.x!, "base64url"),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(validClaims(issuer)).setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: key.kid }).sign(secret);
      expectInvalidToken(await attack(`Bearer ${token}`));
    }
  });

  it("rejects a token signed by a different key under the issuer's kid", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT(validClaims(issuer))
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: issuer.keys[0]!.kid })
      .sign(privateKey);
    expectInvalidToken(await attack(`Bearer ${token}`));
  });

  it("refetches the JWKS at most once per cooldown for unknown kids, not once per request", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const before = issuer.requests.jwks;
    for (let i = 0; i < 25; i++) {
      const token = await new SignJWT(validClaims(issuer)).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: `unknown-${i}` }).sign(privateKey);
      expectInvalidToken(await attack(`Bearer ${token}`));
    }
    expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1);
  });

  it("ignores jku, x5u, jwk and x5c headers pointing at the attacker's keys", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "attacker", alg: "ES256" };
    const headers = [
      { jku: `${attacker.url}/jwks`, kid: "attacker" },
      { x5u: `${attacker.url}/cert.pem`, kid: "attacker" },
      { jwk, kid: "attacker" },
      { jwk },
      { x5c: ["MIIBszCCAVmgAwIBAgIUJ0Vxb3p4Zy9lY2FsaG9zdDAKBggqhkjOPQQDAjA="], kid: issuer.keys[0]!.kid },
      { jku: `${attacker.url}/jwks`, kid: issuer.keys[0]!.kid },
    ];
    for (const header of headers) {
      const token = await new SignJWT(validClaims(issuer)).setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...header }).sign(privateKey);
      expectInvalidToken(await attack(`Bearer ${token}`));
    }
  });

  it("rejects crit with an unknown extension, even when correctly signed", async () => {
    // jose refuses to sign an unknown crit extension, so sign the bytes directly with the trusted key.
    const key = issuer.keys[0]!;
    const header = { alg: "ES256", typ: "at+jwt", kid: key.kid, crit: ["urn:example:unknown"], "urn:example:unknown": true };
    const input = `${b64url(header)}.${b64url(validClaims(issuer))}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new TextEncoder().encode(input));
    expectInvalidToken(await attack(`Bearer ${input}.${b64url(Buffer.from(signature))}`));
    // Control: the same hand-made signature without crit is accepted, so the rejection above is about crit.
    const plain = `${b64url({ alg: "ES256", typ: "at+jwt", kid: key.kid })}.${b64url(validClaims(issuer, { scope: "parts:read" }))}`;
    const plainSig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new TextEncoder().encode(plain));
    expect((await call(server.url, "query", "parts.list", {}, `${plain}.${b64url(Buffer.from(plainSig))}`)).status).toBe(200);
  });
});

describe("claim attacks (signed by the trusted key)", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("rejects an expired token", async () => {
    expectInvalidToken(await attack(`Bearer ${await issuer.sign({ iat: now() - 600, exp: now() - 60 })}`));
  });

  it("rejects a token that is not yet valid", async () => {
    expectInvalidToken(await attack(`Bearer ${await issuer.sign({ nbf: now() + 120 })}`));
  });

  it("rejects a token issued in the future", async () => {
    expectInvalidToken(await attack(`Bearer ${await issuer.sign({ iat: now() + 120, exp: now() + 600 })}`));
  });

  it("rejects a token without exp", async () => {
    expectInvalidToken(await attack(`Bearer ${await issuer.sign({ exp: undefined })}`));
  });

  it("rejects a wrong iss, including trailing-slash and case variants", async () => {
    const variants = [`${issuer.issuer}/`, issuer.issuer.toUpperCase(), issuer.issuer.replace("http", "HTTP"), "https://evil.example", ""];
    for (const iss of variants) expectInvalidToken(await attack(`Bearer ${await issuer.sign({ iss })}`));
    expectInvalidToken(await attack(`Bearer ${await issuer.sign({ iss: undefined })}`));
  });

  it("rejects a wrong aud and an audience array without ours", async () => {
    for (const aud of ["api://other", "api://parts/", "API://PARTS", ["api://other", "api://billing"], []]) {
      expectInvalidToken(await attack(`Bearer ${await issuer.sign({ aud })}`));
    }
  });

  it("accepts an audience array that contains ours (control)", async () => {
    const result = await call(server.url, "query", "parts.list", {}, await issuer.sign({ aud: ["api://other", issuer.audience] }));
    expect(result.status).toBe(200);
  });

  it("rejects the right audience with a wrong or missing typ (at+jwt is required)", async () => {
    for (const typ of ["JWT", "jwt", "id_token+jwt", undefined]) {
      expectInvalidToken(await attack(`Bearer ${await issuer.sign({}, { header: { typ } })}`));
    }
  });
});

describe("malformed tokens and headers", () => {
  it("rejects tokens that are not three segments", async () => {
    for (const token of ["abc", "a.b", "a.b.c.d", "a..c", "..", `${(await issuer.sign()).split(".").slice(0, 2).join(".")}`]) {
      const result = await attack(`Bearer ${token}`);
      expect(result.status).toBe(401);
      expect(["invalid_token", "invalid_request"]).toContain(trpcError(result).authError);
    }
  });

  it("rejects bad base64url", async () => {
    const [h, p, s] = (await issuer.sign()).split(".");
    expectInvalidRequest(await attack(`Bearer ${h}.${p}!!.${s}`));
    expectInvalidToken(await attack(`Bearer ${h}.${p}+/.${s}`));
    expectInvalidToken(await attack(`Bearer ${h}.A.${s}`));
  });

  it("rejects a header or payload that is JSON but not an object", async () => {
    const sig = (await issuer.sign()).split(".")[2]!;
    for (const [header, payload] of [
      ["[1]", validClaims(issuer)],
      ["null", validClaims(issuer)],
      ['"x"', validClaims(issuer)],
      [{ alg: "ES256", typ: "at+jwt", kid: issuer.keys[0]!.kid }, "[]"],
      [{ alg: "ES256", typ: "at+jwt", kid: issuer.keys[0]!.kid }, "42"],
      [{ alg: "ES256", typ: "at+jwt", kid: issuer.keys[0]!.kid }, "not json"],
    ] as const) {
      expectInvalidToken(await attack(`Bearer ${compact(header, payload, sig)}`));
    }
  });

  it("rejects a token signed with the right key but carrying a non-object payload", async () => {
    const key = issuer.keys[0]!;
    const token = await new CompactSign(new TextEncoder().encode("[1,2,3]"))
      .setProtectedHeader({ alg: key.alg, typ: "at+jwt", kid: key.kid })
      .sign(key.privateKey);
    expectInvalidToken(await attack(`Bearer ${token}`));
  });

  it("rejects a 100 KB token before parsing it (431 from the header limit) and a 12 KB one as invalid_token", async () => {
    const huge = await issuer.sign({ pad: "x".repeat(100_000) });
    const result = await rawRequest(
      server.url,
      `POST /trpc/parts.create HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${huge}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
    );
    expect(result.status).toBe(431);
    const large = (await issuer.sign({ pad: "x".repeat(9000) })).slice(0, -4) + "AAAA";
    expectInvalidToken(await attack(`Bearer ${large}`));
    expect(await healthz(server.url)).toBe(200);
  });

  it("rejects non-ASCII bytes in the Authorization header", async () => {
    const token = await issuer.sign();
    for (const bytes of [Buffer.from("é✓", "utf8"), Buffer.from([0xff, 0xfe]), Buffer.from([0x80])]) {
      const request = Buffer.concat([
        Buffer.from(`POST /trpc/parts.create HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token.slice(0, 20)}`),
        bytes,
        Buffer.from(`${token.slice(20)}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`),
      ]);
      const result = await rawRequest(server.url, request);
      expect([400, 401]).toContain(result.status);
      expect(result.text).not.toContain('"result"');
      if (result.status === 401) expect(result.text).toMatch(/invalid_request|invalid_token/);
    }
  });

  it("rejects an empty bearer and a bearer with two tokens", async () => {
    const token = await issuer.sign();
    for (const value of ["Bearer", "Bearer ", "Bearer    ", `Bearer ${token} ${token}`, `Bearer ${token},${token}`, `Basic ${token}`, token]) {
      expectInvalidRequest(await attack(value));
    }
  });

  it("does not accept the token from the query string or the body", async () => {
    const token = await issuer.sign();
    const query = await fetch(`${server.url}/trpc/parts.list?access_token=${token}&input=${encodeURIComponent("{}")}`);
    expect(query.status).toBe(401);
    expect(query.headers.get("www-authenticate")).toBe('Bearer realm="parts"');
    const body = await fetch(`${server.url}/trpc/parts.create?access_token=${token}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `access_token=${token}`,
    });
    expect([400, 401, 415]).toContain(body.status);
    const json = await fetch(`${server.url}/trpc/parts.create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_token: token, partNumber: "HOSTILE-body", modelNumber: "M", name: "n" }),
    });
    expect(json.status).toBe(401);
  });

  it("accepts the scheme in lower case", async () => {
    const result = await call(server.url, "query", "parts.list", {}, null, { authorization: `bearer ${await issuer.sign()}` });
    expect(result.status).toBe(200);
  });
});

describe("scopes", () => {
  it("answers 403 insufficient_scope to a parts:read token calling a mutation", async () => {
    const result = await attack(`Bearer ${await issuer.sign({ scope: "parts:read" })}`);
    expect(result.status).toBe(403);
    expect(trpcError(result)).toMatchObject({ code: "FORBIDDEN", authError: "insufficient_scope" });
    expect(result.headers.get("www-authenticate")).toMatch(/error="insufficient_scope".*scope="parts:write"/);
  });

  it("does not let look-alike scopes pass", async () => {
    for (const scope of ["parts:readonly parts:writer", "xparts:write xparts:read", "parts:rea parts:writ", "PARTS:WRITE PARTS:READ", "parts:read,parts:write", ""]) {
      const token = await issuer.sign({ scope });
      expect((await attack(`Bearer ${token}`)).status).toBe(403);
      expect((await call(server.url, "query", "parts.list", {}, token)).status).toBe(403);
    }
  });
});

describe("after the attacks", () => {
  it("the server is alive and healthy", async () => {
    expect(server.alive()).toBe(true);
    expect(await healthz(server.url)).toBe(200);
  });
});
