import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRequestSpans, startTracing, traceRepository, traceVerifier, tracingEnabled, type RequestSpans, type Tracing } from "./index.ts";
import { InMemorySpanExporter } from "./testing.ts";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let server: Server;
let url: string;
let spans: RequestSpans;

/** A repository of two parts kept in memory: the shape of `@parts/db`'s, small enough to read at a glance. */
const stored = new Map([[1, { id: 1, name: "Bolt" }]]);
const repository = traceRepository(
  {
    async byId(id: number) {
      return stored.get(id);
    },
    async create(_input: { name: string }) {
      throw Object.assign(new Error("duplicate part number PN-1 (params: secret-value)"), { code: "unique_violation" });
    },
  },
  "sqlite",
);

/** A verifier with a cache of one token, shaped like `@parts/router`'s. */
const cacheStats = { hits: 0, misses: 0 };
const verifier = traceVerifier({
  cacheStats,
  async verify(token: string) {
    if (token === "cached-token") {
      cacheStats.hits++;
      return { clientId: "c1" };
    }
    cacheStats.misses++;
    throw Object.assign(new Error("token expired"), { code: "invalid_token" });
  },
});

beforeAll(async () => {
  tracing = await startTracing({ serviceName: "telemetry-test", exporter });
  spans = createRequestSpans({ sampleRoot: tracing.sampleRoot });
  // A server whose handler verifies the bearer token and reads part 1 (or fails with the status in the path).
  server = createServer((req, res) => {
    const name = req.url === "/fail" ? "GET /fail" : "parts.byId";
    void spans.traced(req, res, () => ({ name, method: "GET", route: req.url === "/fail" ? "/fail" : "/trpc/parts.byId" }), async () => {
      if (req.url === "/fail") return void res.writeHead(503).end();
      await verifier.verify(req.headers.authorization ?? "").catch(() => undefined);
      res.end(JSON.stringify(await repository.byId(1)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await tracing.shutdown();
});
beforeEach(() => exporter.reset());

/** Spans end when the response closes, just after the caller has its answer. */
async function finishedSpans(count: number) {
  const deadline = Date.now() + 10_000; // generous for a loaded CI machine; the loop ends as soon as they are in
  while (exporter.getFinishedSpans().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return exporter.getFinishedSpans();
}

const callerTrace = "0af7651916cd43dd8448eb211c80319c";
const callerSpan = "b7ad6b7169203331";

describe("server spans", () => {
  it("continue the caller's traceparent, named for the procedure, with the status", async () => {
    const response = await fetch(url, { headers: { traceparent: `00-${callerTrace}-${callerSpan}-01`, authorization: "cached-token" } });
    expect(await response.json()).toEqual({ id: 1, name: "Bolt" });
    const server = (await finishedSpans(3)).find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.name).toBe("parts.byId");
    expect(server.spanContext().traceId).toBe(callerTrace);
    expect(server.parentSpanContext?.spanId).toBe(callerSpan);
    expect(server.attributes).toEqual({ "http.request.method": "GET", "http.route": "/trpc/parts.byId", "http.response.status_code": 200 });
    expect(server.resource.attributes["service.name"]).toBe("telemetry-test");
  });

  it("start a trace of their own without a traceparent", async () => {
    await fetch(url, { headers: { authorization: "cached-token" } });
    const server = (await finishedSpans(3)).find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(callerTrace);
  });

  it("mark a 5xx answer as an error", async () => {
    await fetch(`${url}/fail`);
    const [span] = await finishedSpans(1);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes["http.response.status_code"]).toBe(503);
  });

  it("record nothing for a caller whose trace is not sampled, and the request is still answered", async () => {
    const response = await fetch(url, { headers: { traceparent: `00-${callerTrace}-${callerSpan}-00`, authorization: "cached-token" } });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe("child spans", () => {
  it("trace token verification and the query under the server span, without the token or the arguments", async () => {
    await fetch(url, { headers: { authorization: "cached-token" } });
    const finished = await finishedSpans(3);
    const server = finished.find((span) => span.kind === SpanKind.SERVER)!;
    const verify = finished.find((span) => span.name === "verify token")!;
    const query = finished.find((span) => span.name === "db parts.byId")!;
    for (const child of [verify, query]) {
      expect(child.spanContext().traceId).toBe(server.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    }
    expect(verify.attributes).toEqual({ "parts.auth.cache_hit": true });
    expect(query.kind).toBe(SpanKind.CLIENT);
    expect(query.attributes).toEqual({ "db.system.name": "sqlite", "db.system": "sqlite", "db.collection.name": "parts", "db.operation.name": "byId" });
    expect(JSON.stringify(finished.map((span) => span.attributes))).not.toContain("cached-token");
  });

  it("name a failure by its code, never by its message", async () => {
    const parent = trace.getTracer("test").startSpan("caller");
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await expect(repository.create({ name: "x" })).rejects.toThrow("duplicate part number");
      await expect(verifier.verify("other-token")).rejects.toThrow("token expired");
    });
    parent.end();
    const [create, verify] = exporter.getFinishedSpans();
    expect(create!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(create!.attributes["error.type"]).toBe("unique_violation");
    expect(verify!.attributes).toEqual({ "parts.auth.cache_hit": false, "error.type": "invalid_token" });
    expect(JSON.stringify(exporter.getFinishedSpans().map((span) => [span.attributes, span.status, span.events]))).not.toContain("secret-value");
  });

  it("are not started outside a span: no orphan traces", async () => {
    expect(await repository.byId(1)).toEqual({ id: 1, name: "Bolt" });
    expect(await verifier.verify("cached-token")).toEqual({ clientId: "c1" });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe("tracingEnabled", () => {
  it("needs an OTLP endpoint, and yields to OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled(endpoint)).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).toBe(true);
    expect(tracingEnabled({ ...endpoint, OTEL_SDK_DISABLED: true })).toBe(false);
    expect(tracingEnabled({ ...endpoint, OTEL_TRACES_EXPORTER: "none" })).toBe(false);
  });
});
