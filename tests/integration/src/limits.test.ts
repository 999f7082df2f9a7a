/**
 * Resource limits over a real server process: oversized bodies and batches, deeply nested JSON, and
 * slow-loris clients (timeouts lowered through HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS for the test).
 */
import { connect, type Socket } from "node:net";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, healthz, rawRequest } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let server: ServerProcess;
let token: string;
const headersTimeoutMs = 1500;
const requestTimeoutMs = 2500;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  server = await startServer({
    issuer: issuer.issuer,
    audience: issuer.audience,
    env: { HEADERS_TIMEOUT_MS: String(headersTimeoutMs), REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
  });
  token = await issuer.sign({}, { expiresIn: 3600 });
});
afterAll(async () => {
  await disposeServer(server);
  await issuer.close();
});

const part = (n: number | string) => ({ partNumber: `LIMIT-${n}`, modelNumber: "M", name: `Part ${n}` });

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, text };
}

describe("body and batch limits", () => {
  it("answers 413 to a body over 1 MiB and stores nothing", async () => {
    const big = JSON.stringify({ ...part("big"), description: "x".repeat(1024 * 1024) });
    const result = await post("parts.create", big);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.text).error.data.code).toBe("PAYLOAD_TOO_LARGE");
    const found = await call(server.url, "query", "parts.list", { q: "LIMIT-big" }, token);
    expect(found.body.result.data.items).toEqual([]);
  });

  it("answers 413 to an oversized chunked body (no content-length)", async () => {
    const chunk = "x".repeat(64 * 1024);
    const head = `POST /trpc/parts.create HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`;
    const chunks = Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
    const result = await rawRequest(server.url, `${head}${chunks}0\r\n\r\n`);
    expect(result.status).toBe(413);
  });

  it("rejects a batch over 50 calls with 400 and runs none of them", async () => {
    const calls = 51;
    const paths = Array.from({ length: calls }, () => "parts.create").join(",");
    const body = Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, part(`batch-${i}`)]));
    const result = await post(`${paths}?batch=1`, JSON.stringify(body));
    expect(result.status).toBe(400);
    const found = await call(server.url, "query", "parts.list", { q: "LIMIT-batch" }, token);
    expect(found.body.result.data.items).toEqual([]);
  });

  it("accepts a batch of exactly 50 calls within the 100-row budget (control)", async () => {
    const paths = Array.from({ length: 50 }, () => "parts.list").join(",");
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [i, { limit: 2 }]))));
    const response = await fetch(`${server.url}/trpc/${paths}?batch=1&input=${input}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect((await response.json()) as unknown[]).toHaveLength(50);
  });

  it("answers deeply nested JSON with a clean 400, in a field and as the whole input", async () => {
    const depth = 400_000;
    const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    for (const body of [`{"partNumber":${nested},"modelNumber":"M","name":"n"}`, nested, `${"{\"a\":".repeat(100_000)}1${"}".repeat(100_000)}`]) {
      const result = await post("parts.create", body);
      expect(result.status).toBe(400);
      expect(result.text).not.toContain("Internal server error");
    }
    const unbalanced = await post("parts.create", "[".repeat(500_000));
    expect(unbalanced.status).toBe(400);
    expect(await healthz(server.url)).toBe(200);
  });
});

/** Opens a connection and writes `first`, then trickles `drip` every `everyMs` until the server closes it. */
function slowClient(first: string, drip: string, everyMs: number) {
  const { hostname, port } = new URL(server.url);
  const socket: Socket = connect(Number(port), hostname);
  let response = "";
  const started = Date.now();
  const closed = new Promise<{ response: string; openForMs: number }>((resolve) => {
    socket.on("data", (chunk) => (response += chunk.toString()));
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ response, openForMs: Date.now() - started });
    });
    socket.on("error", () => undefined);
  });
  socket.write(first);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip);
  }, everyMs);
  // Bound the test: give up on the server after 20 s.
  const bound = setTimeout(() => socket.destroy(), 20_000);
  void closed.then(() => clearTimeout(bound));
  return closed;
}

describe("slow-loris", () => {
  it("cuts off a client that trickles its headers, and keeps serving others meanwhile", async () => {
    const slow = Array.from({ length: 5 }, (_, i) => slowClient(`GET /healthz HTTP/1.1\r\nhost: x\r\n`, `x-slow-${i}: 1\r\n`, 200));
    // Other clients are served while the slow ones hang on.
    for (let i = 0; i < 5; i++) {
      expect(await healthz(server.url)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const result of await Promise.all(slow)) {
      expect(result.response).toMatch(/^HTTP\/1\.1 408/);
      expect(result.openForMs).toBeLessThan(15_000);
    }
  });

  it("cuts off a client that trickles its body, and keeps serving others meanwhile", async () => {
    const body = JSON.stringify(part("slow-body"));
    const head = `POST /trpc/parts.create HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 10_000}\r\n\r\n`;
    const slow = Array.from({ length: 5 }, () => slowClient(head, " ", 200));
    for (let i = 0; i < 5; i++) {
      const listed = await call(server.url, "query", "parts.list", {}, token);
      expect(listed.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const result of await Promise.all(slow)) {
      expect(result.response).toMatch(/^HTTP\/1\.1 408/);
      expect(result.openForMs).toBeLessThan(15_000);
    }
    expect(server.alive()).toBe(true);
  });
});
