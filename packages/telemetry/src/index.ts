export { errorType } from "./child-span.ts";
export { createRequestSpans, type RequestSpans, type RequestSpansOptions, type ServerSpanRequest } from "./request-spans.ts";
export { instrumentationScope } from "./scope.ts";
export { startTracing, type Tracing, type TracingOptions } from "./start-tracing.ts";
export { traceRepository, type DatabaseSystem } from "./traced-repository.ts";
export { traceVerifier } from "./traced-verifier.ts";
export { tracingEnabled, type TracingSwitches } from "./tracing-enabled.ts";
