/**
 * The findings of the attack on the running system (issue 10), replayed against a real server process with a
 * read-only token: each must stay closed. The catalogue holds 110 parts with ~10 KB descriptions, as in the
 * attack; `/healthz` is polled throughout and must keep answering within 100 ms.
 */
import { request as httpRequest } from "node:http";
import { requestLimits } from "@parts/router";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, trpcError, type Json } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let server: ServerProcess;
let readToken: string;
let writeToken: string;

const bigDescription = (n: number) => `Part ${n}: ${"steel hex bolt, zinc plated, DIN 933. ".repeat(270)}`.slice(0, 10_000);

beforeAll(async () => {
  issuer = await startFakeIssuer();
  server = await startServer({ issuer: issuer.issuer, audience: issuer.audience });
  readToken = await issuer.sign({ client_id: "reader", sub: "reader", scope: "parts:read" }, { expiresIn: 3600 });
  writeToken = await issuer.sign({ client_id: "writer", sub: "writer", scope: "parts:read parts:write" }, { expiresIn: 3600 });
  for (let start = 1; start <= 110; start += 10) {
    const inputs = Array.from({ length: 10 }, (_, i) => ({ partNumber: `ATK-${start + i}`, modelNumber: `M-${(start + i) % 5}`, name: `Attack part ${start + i}`, description: bigDescription(start + i) }));
    const response = await fetch(`${server.url}/trpc/${inputs.map(() => "parts.create").join(",")}?batch=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json" },
      body: JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, input]))),
    });
    expect(response.status).toBe(200);
  }
});
afterAll(async () => {
  await disposeServer(server);
  await issuer.close();
});

const batchPath = (path: string, inputs: unknown[]) =>
  `/trpc/${inputs.map(() => path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, input]))))}`;

/** GET with the read-only token; resolves with status, byte count and time taken. */
function get(path: string, headers: Record<string, string | string[]> = {}): Promise<{ status: number; bytes: number; ms: number; text: string; headers: Json }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { headers: { authorization: `Bearer ${readToken}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, bytes: body.length, ms: performance.now() - started, text: body.length < 1_000_000 ? body.toString() : "", headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Runs `attack` while polling /healthz every 10 ms; returns the attack's result and the slowest probe. */
async function whileProbing<T>(attack: () => Promise<T>): Promise<{ result: T; slowestProbeMs: number; probes: number }> {
  let running = true;
  let slowestProbeMs = 0;
  let probes = 0;
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      slowestProbeMs = Math.max(slowestProbeMs, performance.now() - started);
      probes++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await attack(), slowestProbeMs, probes };
  } finally {
    running = false;
    await prober;
  }
}

describe("finding 1: CPU stall through searches in a batch", () => {
  const miss = "zz".repeat(100);

  it("the original request (50 searches, 200-character q) is refused at once with 413 naming the limit", async () => {
    const { result, slowestProbeMs } = await whileProbing(() => get(batchPath("parts.list", Array.from({ length: 50 }, () => ({ limit: 1, q: miss })))));
    expect(result.status).toBe(413);
    expect(result.text).toContain(`at most ${requestLimits.maxSearchesPerRequest} list calls with q`);
    expect(result.ms).toBeLessThan(1000);
    expect(slowestProbeMs).toBeLessThan(100);
  });

  it("the most a request may search (5 × 100 characters, matching nothing) is answered quickly, probes unaffected", async () => {
    // Every trigram of this q occurs in every description, but never in this order: the index cannot rule a row
    // out by one rare trigram, the worst case for a trigram search.
    const scrambled = "zinc plated, steel hex bolt, DIN 933. plated zinc hex steel bolt 933 DIN, zinc steel, hex plated".slice(0, 100);
    const searches = Array.from({ length: requestLimits.maxSearchesPerRequest }, (_, i) => ({ limit: 1, q: i % 2 === 0 ? scrambled : `${miss.slice(0, 99)}${i}` }));
    const { result, slowestProbeMs, probes } = await whileProbing(async () => {
      const answers = await Promise.all(Array.from({ length: 4 }, () => get(batchPath("parts.list", searches))));
      return answers;
    });
    for (const answer of result) {
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(2000);
      expect((JSON.parse(answer.text) as Json[]).every((entry) => entry.result.data.items.length === 0)).toBe(true);
    }
    expect(probes).toBeGreaterThan(0);
    expect(slowestProbeMs).toBeLessThan(100);
  });

  it("a q over 100 characters is a field error", async () => {
    const result = await call(server.url, "query", "parts.list", { q: "x".repeat(101) }, readToken);
    expect(result.status).toBe(400);
    expect(trpcError(result).zodError?.fieldErrors.q).toEqual(["Too big: expected string to have <=100 characters"]);
  });
});

describe("finding 2: memory amplification through a batch of full pages", () => {
  it("50 × list(100) is refused before any row is read, on the JSON and the streaming path", async () => {
    const path = batchPath("parts.list", Array.from({ length: 50 }, () => ({ limit: 100 })));
    const json = await get(path);
    expect(json.status).toBe(413);
    expect(json.bytes).toBeLessThan(64 * 1024);
    expect(json.text).toContain(`could return 5000 rows; one request may return at most ${requestLimits.maxRowsPerRequest}`);
    // A stream has sent its 200 status before the calls settle; every call in it carries the 413.
    const stream = await get(path, { "trpc-accept": "application/jsonl" });
    expect(stream.bytes).toBeLessThan(64 * 1024);
    expect(stream.text).not.toContain('"items"');
    expect(stream.text.match(/PAYLOAD_TOO_LARGE/g)).toHaveLength(50);
  });

  it("four concurrent requests at the row budget stay within bounded memory while probes answer", async () => {
    const before = server.rss();
    const path = batchPath("parts.list", [{ limit: 50 }, { limit: 50 }]);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 5);
    const { result, slowestProbeMs } = await whileProbing(() => Promise.all(Array.from({ length: 4 }, () => get(path))));
    clearInterval(sampler);
    for (const answer of result) {
      expect(answer.status).toBe(200);
      // 100 rows of ~10 KB, where the attack got 50.8 MB
      expect(answer.bytes).toBeGreaterThan(700_000);
      expect(answer.bytes).toBeLessThan(1_200_000);
    }
    // The attack's four requests took RSS from 100 MB to 1.07 GB.
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
    expect(slowestProbeMs).toBeLessThan(100);
  });
});

describe("finding 4: sender-constrained tokens", () => {
  it("a DPoP-bound token (cnf.jkt) sent as Bearer gets 401 invalid_token", async () => {
    const token = await issuer.sign({ client_id: "thief", scope: "parts:read", cnf: { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } });
    const result = await call(server.url, "query", "parts.list", {}, token);
    expect(result.status).toBe(401);
    expect(result.headers.get("www-authenticate")).toMatch(/error="invalid_token", error_description="sender-constrained tokens \(cnf\) are not accepted/);
  });
});

describe("finding 5: look-alike and invisible characters in part numbers", () => {
  const base = { modelNumber: "LOOK-M", name: "Look-alike target" };

  beforeAll(async () => {
    const created = await call(server.url, "mutation", "parts.create", { ...base, partNumber: "RT-PN-1" }, writeToken);
    expect(created.status).toBe(200);
  });

  it.each([
    ["lower case", "rt-pn-1"],
    ["mixed case", "Rt-Pn-1"],
    ["fullwidth", "ＲＴ-ＰＮ-１"],
    ["fullwidth hyphen-minus", "RT－PN－1"],
    ["surrounding and inner runs of whitespace", "  RT-PN-1\u00a0"],
  ])("%s → 409 CONFLICT", async (_name, partNumber) => {
    const result = await call(server.url, "mutation", "parts.create", { ...base, partNumber }, writeToken);
    expect(result.status).toBe(409);
    expect(trpcError(result).code).toBe("CONFLICT");
  });

  it.each([
    ["zero-width space", "RT-PN\u200b-1", "U+200B"],
    ["zero-width joiner", "RT\u200d-PN-1", "U+200D"],
    ["soft hyphen", "RT-PN\u00ad-1", "U+00AD"],
    ["right-to-left override", "RT-PN-1\u202e", "U+202E"],
    ["NUL", "RT-PN-1\u0000", "U+0000"],
    ["ESC", "RT-\u001b[31mPN-1", "U+001B"],
    ["line feed", "RT-PN-1\nX", "U+000A"],
  ])("%s → 400 field error naming the code point", async (_name, partNumber, codePoint) => {
    const result = await call(server.url, "mutation", "parts.create", { ...base, partNumber }, writeToken);
    expect(result.status).toBe(400);
    expect(trpcError(result).zodError?.fieldErrors.partNumber?.[0]).toContain(codePoint);
    expect(result.body.error.message).toMatch(/^partNumber: must not contain control or invisible formatting characters/);
  });

  it.each([
    ["Cyrillic Р", "\u0420T-PN-1"],
    ["non-breaking hyphen U+2011", "RT\u2011PN-1"],
    ["NFC é", "RT-PN-\u00e9"],
    ["NFD é", "RT-PN-e\u0301"],
  ])("%s → 400: part numbers are printable ASCII after NFKC, so no other script can imitate one", async (_name, partNumber) => {
    const result = await call(server.url, "mutation", "parts.create", { ...base, partNumber }, writeToken);
    expect(result.status).toBe(400);
    expect(trpcError(result).zodError?.fieldErrors.partNumber?.[0]).toMatch(/printable ASCII/);
  });

  it("an update cannot rename a part onto a look-alike of another either", async () => {
    const other = await call(server.url, "mutation", "parts.create", { ...base, partNumber: "RT-PN-2" }, writeToken);
    const result = await call(server.url, "mutation", "parts.update", { id: other.body.result.data.id, partNumber: "ｒｔ-ｐｎ-１" }, writeToken);
    expect(result.status).toBe(409);
  });

  it("nothing half-written: exactly the two parts exist for the model", async () => {
    const result = await call(server.url, "query", "parts.list", { modelNumber: "LOOK-M" }, readToken);
    expect(result.body.result.data.items.map((p: Json) => p.partNumber)).toEqual(["RT-PN-1", "RT-PN-2"]);
  });
});

describe("finding 6: the smaller ones", () => {
  it("search is case-insensitive beyond ASCII: écrou finds ÉCROU", async () => {
    await call(server.url, "mutation", "parts.create", { partNumber: "ECROU-1", modelNumber: "M-FR", name: "ÉCROU HEXAGONAL" }, writeToken);
    const result = await call(server.url, "query", "parts.list", { q: "écrou" }, readToken);
    expect(result.body.result.data.items.map((p: Json) => p.partNumber)).toEqual(["ECROU-1"]);
  });

  it("two Authorization headers → 400 invalid_request", async () => {
    const result = await get("/trpc/parts.list", { authorization: [`Bearer ${readToken}`, `Bearer ${writeToken}`] });
    expect(result.status).toBe(400);
    expect(result.headers["www-authenticate"]).toMatch(/error="invalid_request"/);
  });

  it("API answers carry Cache-Control: no-store and X-Content-Type-Options: nosniff", async () => {
    const result = await get(batchPath("parts.byId", [{ id: 1 }]));
    expect(result.headers["cache-control"]).toBe("no-store");
    expect(result.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("a 649 KB body with 60,000 unknown keys gets a short error, not 2.79 MB", async () => {
    const body = JSON.stringify({ partNumber: "K-1", modelNumber: "M", name: "N", ...Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i])) });
    expect(body.length).toBeGreaterThan(600_000);
    const response = await fetch(`${server.url}/trpc/parts.create`, { method: "POST", headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json" }, body });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text.length).toBeLessThan(2048);
    expect(JSON.parse(text).error.message).toMatch(/^input: Unrecognized keys: "k0"/);
  });
});
