import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { SpanKind } from "@opentelemetry/api";
import { createPartsRepository, openDatabase, type DatabaseHandle } from "@parts/db";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { createTokenVerifier } from "@parts/router";
import { createRequestSpans, startTracing, traceRepository, traceVerifier, type Tracing } from "@parts/telemetry";
import { InMemorySpanExporter, type ReadableSpan } from "@parts/telemetry/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPartsServer, type PartsServer } from "../http-server.ts";
import { createLogger } from "../logger.ts";
import { batchSpanName, serverSpanRequest } from "./server-span-request.ts";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
let app: PartsServer;
let base: string;
let token: string;
let partId: number;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: "api-server-test", exporter });
  issuer = await startFakeIssuer();
  token = await issuer.sign({ client_id: "tracer", sub: "tracer" });
  dir = mkdtempSync(join(tmpdir(), "parts-tracing-"));
  database = openDatabase(join(dir, "parts.db"));
  app = createPartsServer({
    database,
    verifier: traceVerifier(createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience })),
    parts: traceRepository(createPartsRepository(database.db), "sqlite"),
    logger: createLogger("silent", new Writable({ write: (_chunk, _enc, done) => done() })),
    tracing: createRequestSpans({ sampleRoot: tracing.sampleRoot }),
  });
  base = await app.listen(0, "127.0.0.1");
  const created = await fetch(`${base}/trpc/parts.create`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ partNumber: "PN-T1", modelNumber: "M-T", name: "Traced bolt" }),
  });
  partId = ((await created.json()) as { result: { data: { id: number } } }).result.data.id;
});
afterAll(async () => {
  await app?.close(1000);
  await issuer?.close();
  await tracing?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => exporter.reset());

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpan = "00f067aa0ba902b7";

/** The spans of one request: its server span (ended when the response closes) and the children under it. */
async function requestSpans(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  await response.text();
  let server: ReadableSpan | undefined;
  for (const deadline = Date.now() + 10_000; !server && Date.now() < deadline; ) {
    server = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    if (!server) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const children = exporter.getFinishedSpans().filter((span) => span.parentSpanContext?.spanId === server!.spanContext().spanId);
  return { status: response.status, server: server!, children: children.map((span) => span.name).sort() };
}

describe("a request's server span", () => {
  it("is named for the procedure on the lean path, continues traceparent, and holds verify and query spans", async () => {
    const input = encodeURIComponent(JSON.stringify({ id: partId }));
    const { status, server, children } = await requestSpans(`/trpc/parts.byId?input=${input}`, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(status).toBe(200);
    expect(server.name).toBe("parts.byId");
    expect(server.spanContext().traceId).toBe(callerTrace);
    expect(server.parentSpanContext?.spanId).toBe(callerSpan);
    expect(server.attributes).toMatchObject({ "http.route": "/trpc/parts.byId", "http.response.status_code": 200 });
    expect(children).toEqual(["db parts.byId", "verify token"]);
  });

  it("is one span for a batch (tRPC's own adapter), with a query span per call", async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: { id: partId }, 1: { id: partId } }));
    const { status, server, children } = await requestSpans(`/trpc/parts.byId,parts.byId?batch=1&input=${input}`);
    expect(status).toBe(200);
    expect(server.name).toBe(batchSpanName);
    expect(children).toEqual(["db parts.byId", "db parts.byId", "verify token"]);
  });

  it("is named for the REST route template, never the part id", async () => {
    const { status, server, children } = await requestSpans(`/api/parts/${partId}`);
    expect(status).toBe(200);
    expect(server.name).toBe("GET /api/parts/{id}");
    expect(JSON.stringify([server.name, server.attributes])).not.toContain(`/${partId}`);
    expect(children).toEqual(["db parts.byId", "verify token"]);
  });
});

describe("serverSpanRequest", () => {
  it.each([
    ["GET", "/trpc/parts.list?input=%7B%7D", { name: "parts.list", method: "GET", route: "/trpc/parts.list" }],
    ["POST", "/trpc/parts.create", { name: "parts.create", method: "POST", route: "/trpc/parts.create" }],
    ["GET", "/trpc/parts.byId,parts.list?batch=1", { name: batchSpanName, method: "GET", route: undefined }],
    ["PATCH", "/api/parts/42", { name: "PATCH /api/parts/{id}", method: "PATCH", route: "/api/parts/{id}" }],
    ["GET", "/readyz", { name: "GET /readyz", method: "GET", route: "/readyz" }],
    ["GET", "/trpc/parts.nope", { name: "GET", method: "GET", route: undefined }],
    ["BREW", "/coffee/12345", { name: "other", method: "other", route: undefined }],
  ] as const)("%s %s", (method, url, expected) => {
    expect(serverSpanRequest({ method, url })).toEqual(expected);
  });
});
