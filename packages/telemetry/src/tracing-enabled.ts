/** The standard variables that decide whether a process traces (the SDK reads the rest of OTEL_* itself). */
export interface TracingSwitches {
  OTEL_SDK_DISABLED?: boolean | undefined;
  OTEL_TRACES_EXPORTER?: "otlp" | "none" | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
}

/**
 * "Configured": an OTLP endpoint is set (for all signals or for traces), the SDK is not disabled, and the traces
 * exporter is not `none`. Anything less and the process neither loads the SDK nor wraps anything. An endpoint
 * is required, not defaulted to the spec's localhost:4318: an API never sends traces where nobody asked.
 */
export function tracingEnabled(env: TracingSwitches): boolean {
  if (env.OTEL_SDK_DISABLED === true || env.OTEL_TRACES_EXPORTER === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}
