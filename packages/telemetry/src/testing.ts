/** For tests: spans kept in memory (`startTracing({ exporter })`) and their type, without a dependency on the SDK. */
export { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
