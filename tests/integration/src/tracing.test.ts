/**
 * OpenTelemetry traces across processes: this process is the caller (its own SDK, spans kept in memory), a real
 * server process exports to an OTLP/HTTP receiver in this process (the exporter's JSON encoding, decoded here).
 * One trace runs from the caller's span through the server's span to the token check and the database query;
 * a hand-made `traceparent` is continued too, on SQLite and on PostgreSQL. The server's batch processor waits a minute between exports, so
 * the spans arrive only through the flush on SIGTERM: the shutdown path is what delivers them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { createPartsClient } from "@parts/client";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { startTracing, type Tracing } from "@parts/telemetry";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { InMemorySpanExporter } from "@parts/telemetry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

/** A span as OTLP/JSON carries it (ids in hex), with its attributes flattened and its resource's service name. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  serviceName: unknown;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: (Omit<ReceivedSpan, "attributes" | "serviceName"> & { attributes?: OtlpAttribute[] })[] }[] }[];
}

const flatten = (attributes: OtlpAttribute[] = []) =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? (value.intValue === undefined ? value.boolValue : Number(value.intValue))]));

/** SPAN_KIND_SERVER and SPAN_KIND_CLIENT in OTLP. */
const serverKind = 2;
const clientKind = 3;

let receiver: Server;
const received: ReceivedSpan[] = [];
const contentTypes = new Set<string>();
let issuer: FakeIssuer;
let server: ServerProcess;
let callerTracing: Tracing;
const callerSpans = new InMemorySpanExporter();
let caller: { traceId: string; spanId: string };
/** Requests without a traceparent to the server sampling half of its roots. */
const rootRequests = 40;
const handMade = { traceId: "5e2a8f1c0b7d4e3fa9c6b1d2e3f40516", spanId: "a1b2c3d4e5f60718" };
let partId: number;
let postgres: TestPostgres;
const onPostgres = { traceId: "0c1d2e3f405162738495a6b7c8d9eaf1", spanId: "1122334455667788" };

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      contentTypes.add(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      for (const resourceSpans of (JSON.parse(body) as OtlpExport).resourceSpans) {
        const serviceName = flatten(resourceSpans.resource.attributes)["service.name"];
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) received.push({ ...span, attributes: flatten(span.attributes), serviceName });
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  issuer = await startFakeIssuer();
  const otlpEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    OTEL_SERVICE_NAME: "parts-it",
    OTEL_BSP_SCHEDULE_DELAY: "60000",
  };
  server = await startServer({ issuer: issuer.issuer, env: otlpEnv });
  callerTracing = await startTracing({ serviceName: "caller", exporter: callerSpans });

  const token = await issuer.sign({ client_id: "tracer", sub: "tracer" });
  const parts = createPartsClient({ url: `${server.url}/trpc`, tokens: { getAccessToken: async () => token, getToken: async () => ({ accessToken: token, tokenType: "Bearer", expiresAt: undefined, scope: undefined }), invalidate() {} } });
  partId = (await parts.parts.create.mutate({ partNumber: "PN-TRACE-1", modelNumber: "M-TRACE", name: "Traced bolt" })).id;
  // The call under test: made inside the caller's active span.
  caller = await trace.getTracer("caller").startActiveSpan("caller looks up a part", async (span) => {
    await parts.parts.byId.query({ id: partId });
    span.end();
    return span.spanContext();
  });
  // A caller with no SDK of ours: a traceparent written by hand, on a REST read.
  const rest = await fetch(`${server.url}/api/parts/${partId}`, {
    headers: { authorization: `Bearer ${token}`, traceparent: `00-${handMade.traceId}-${handMade.spanId}-01` },
  });
  expect(rest.status).toBe(200);
  expect(await server.stop()).toBe(0);

  // The same server on PostgreSQL: its query spans name the other database system. It samples half of the traces
  // that start there (the roots are decided before the SDK sees them), and follows a caller's decision.
  postgres = await startTestPostgres({ fsyncOff: true, local: true });
  const postgresServer = await startServer({
    issuer: issuer.issuer,
    env: { ...otlpEnv, DATABASE_URL: await postgres.createDatabase(), OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.5" },
  });
  for (let n = 0; n < rootRequests; n++) {
    const root = await fetch(`${postgresServer.url}/api/parts?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(root.status).toBe(200);
  }
  const list = await fetch(`${postgresServer.url}/api/parts?limit=5`, {
    headers: { authorization: `Bearer ${token}`, traceparent: `00-${onPostgres.traceId}-${onPostgres.spanId}-01` },
  });
  expect(list.status).toBe(200);
  expect(await postgresServer.stop()).toBe(0);
  await disposeServer(postgresServer);
});
afterAll(async () => {
  await disposeServer(server);
  await callerTracing?.shutdown();
  await issuer?.close();
  await postgres?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const spansOfTrace = (traceId: string) => received.filter((span) => span.traceId === traceId);

describe("one trace from the caller into the database", () => {
  it("the server exported its spans as OTLP/HTTP JSON on shutdown, under its service name", () => {
    expect([...contentTypes]).toEqual(["POST /v1/traces application/json"]);
    expect(new Set(received.map((span) => span.serviceName))).toEqual(new Set(["parts-it"]));
  });

  it("continues the caller's span: a server span named for the procedure, its parent the caller's span", () => {
    expect(callerSpans.getFinishedSpans().map((span) => span.spanContext().spanId)).toContain(caller.spanId);
    const [serverSpan, ...others] = spansOfTrace(caller.traceId).filter((span) => span.kind === serverKind);
    expect(others).toEqual([]);
    expect(serverSpan).toMatchObject({ name: "parts.byId", parentSpanId: caller.spanId });
    expect(serverSpan!.attributes).toMatchObject({ "http.route": "/trpc/parts.byId", "http.response.status_code": 200 });
  });

  it("holds the token check and the database query under the server span", () => {
    const trace_ = spansOfTrace(caller.traceId);
    const serverSpan = trace_.find((span) => span.kind === serverKind)!;
    const children = trace_.filter((span) => span.parentSpanId === serverSpan.spanId);
    expect(children.map((span) => span.name).sort()).toEqual(["db parts.byId", "verify token"]);
    const query = children.find((span) => span.name === "db parts.byId")!;
    expect(query.kind).toBe(clientKind);
    expect(query.attributes).toMatchObject({ "db.system.name": "sqlite", "db.operation.name": "byId", "db.collection.name": "parts" });
  });

  it("continues a hand-made traceparent on a REST call, named for the route template", () => {
    const trace_ = spansOfTrace(handMade.traceId);
    const serverSpan = trace_.find((span) => span.kind === serverKind)!;
    expect(serverSpan).toMatchObject({ name: "GET /api/parts/{id}", parentSpanId: handMade.spanId });
    expect(trace_.filter((span) => span.parentSpanId === serverSpan.spanId).map((span) => span.name).sort()).toEqual(["db parts.byId", "verify token"]);
  });

  it("names PostgreSQL as the database system of a server on PostgreSQL", () => {
    const trace_ = spansOfTrace(onPostgres.traceId);
    const serverSpan = trace_.find((span) => span.kind === serverKind)!;
    expect(serverSpan).toMatchObject({ name: "GET /api/parts", parentSpanId: onPostgres.spanId });
    const query = trace_.find((span) => span.name === "db parts.list")!;
    expect(query.parentSpanId).toBe(serverSpan.spanId);
    expect(query.attributes).toMatchObject({ "db.system.name": "postgresql", "db.system": "postgresql", "db.operation.name": "list" });
  });

  it("samples about half of the traces that start on a server set to a ratio of 0.5, each with its children", () => {
    const roots = received.filter((span) => span.kind === serverKind && !span.parentSpanId && span.name === "GET /api/parts");
    // 40 draws at 0.5: outside 6..34 has a chance below one in a million.
    expect(roots.length).toBeGreaterThanOrEqual(6);
    expect(roots.length).toBeLessThanOrEqual(rootRequests - 6);
    for (const root of roots) {
      const children = spansOfTrace(root.traceId).filter((span) => span.parentSpanId === root.spanId);
      expect(children.map((span) => span.name).sort()).toEqual(["db parts.list", "verify token"]);
    }
  });

  it("never exports the token, and never the part id in a name", () => {
    const text = JSON.stringify(received);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(received.map((span) => span.name).filter((name) => name.includes(String(partId)))).toEqual([]);
  });
});
