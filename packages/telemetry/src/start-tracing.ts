import type { SpanExporter } from "@opentelemetry/sdk-trace-node";

export interface TracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME (or `service.name` in OTEL_RESOURCE_ATTRIBUTES) names another. */
  serviceName: string;
  /**
   * Where finished spans go: by default the OTLP/HTTP (JSON) exporter, configured by the OTEL_EXPORTER_OTLP_*
   * variables, behind a batch span processor (OTEL_BSP_*). Tests pass an in-memory exporter, exported span by span.
   */
  exporter?: SpanExporter;
}

export interface Tracing {
  /**
   * Whether a request that carries no trace context starts a trace, decided by the configured sampler before any
   * span exists; when true, the next root span started takes the trace id it was decided on. Give it to
   * `createRequestSpans`, so that an unsampled request starts no span at all.
   */
  sampleRoot(): boolean;
  /**
   * Exports the spans still queued, then stops the exporter; gives up after `timeoutMs` (default 5 s) when the
   * collector does not answer. Called on the shutdown path (SIGTERM); never rejects.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Registers a tracer provider for this process: the sampler from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * (parent-based always-on by default), the resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, the W3C
 * trace-context propagator and the AsyncLocalStorage context manager. The SDK is imported here, on first call,
 * so a process that never starts tracing never loads it.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { startSdk } = await import("./sdk.ts");
  return startSdk(options);
}
