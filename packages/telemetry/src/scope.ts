/** The instrumentation scope (tracer name) of every span this package starts. */
export const instrumentationScope = "@parts/telemetry";
