import { createRequestSpans, startTracing, tracingEnabled, type RequestSpans, type Tracing, type TracingSwitches } from "@parts/telemetry";

export interface ServerTracing extends Tracing {
  requests: RequestSpans;
}

/**
 * OpenTelemetry traces when configured (`tracingEnabled`: an OTLP endpoint set, not disabled); undefined otherwise,
 * and then the SDK is never loaded and nothing is wrapped. The SDK reads the other OTEL_* variables itself.
 */
export async function tracingFor(config: TracingSwitches & { OTEL_SERVICE_NAME: string }): Promise<ServerTracing | undefined> {
  if (!tracingEnabled(config)) return undefined;
  const tracing = await startTracing({ serviceName: config.OTEL_SERVICE_NAME });
  return { ...tracing, requests: createRequestSpans({ sampleRoot: tracing.sampleRoot }) };
}
