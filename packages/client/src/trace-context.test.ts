import { trace } from "@opentelemetry/api";
import { startTracing, type Tracing } from "@parts/telemetry";
import { InMemorySpanExporter } from "@parts/telemetry/testing";
import { startStack, type Stack } from "@parts/test-stack";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPartsClient } from "./client.ts";
import type { FetchLike } from "./token-provider.ts";

let stack: Stack;
let tracing: Tracing;
/** The `traceparent` header of each API request sent (null when absent). */
let sent: (string | null)[];

const recordingFetch: FetchLike = (input, init) => {
  const url = input instanceof Request ? input.url : input.toString();
  if (new URL(url).pathname.startsWith("/trpc/")) sent.push(new Headers(init?.headers).get("traceparent"));
  return fetch(input, init);
};

beforeAll(async () => {
  // The application's SDK: what a caller that traces would have registered.
  tracing = await startTracing({ serviceName: "client-test", exporter: new InMemorySpanExporter() });
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
});
beforeEach(() => {
  sent = [];
});

const client = () =>
  createPartsClient({
    url: stack.api.url,
    issuer: stack.issuer.url,
    clientId: stack.client.clientId,
    clientSecret: stack.client.clientSecret,
    scope: "parts:read",
    fetch: recordingFetch,
  });

describe("W3C trace context", () => {
  it("sends the active span's traceparent with a call made inside it", async () => {
    const parts = client();
    const tracer = trace.getTracer("caller");
    const ids = await tracer.startActiveSpan("caller", async (span) => {
      await parts.health.query();
      span.end();
      return span.spanContext();
    });
    expect(sent).toEqual([`00-${ids.traceId}-${ids.spanId}-01`]);
  });

  it("sends none for a call made outside any span", async () => {
    await client().health.query();
    expect(sent).toEqual([null]);
  });
});
