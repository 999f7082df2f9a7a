import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { createRootSampling, samplingFromEnvironment } from "./root-sampling.ts";
import type { Tracing, TracingOptions } from "./start-tracing.ts";

/** The SDK half of `startTracing`, in a module of its own so that it is loaded only when tracing starts. */
export function startSdk(options: TracingOptions): Tracing {
  // Later resources win: the SDK's defaults, then our service name, then what the environment says.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": options.serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const spanProcessor = options.exporter ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  // The sampler is built here, from the same OTEL_* variables, because roots are decided ahead of the SDK with
  // it; NodeTracerProvider (through sdk-trace-base) reads the span limits itself.
  const { sampler, root } = samplingFromEnvironment();
  const roots = createRootSampling(root);
  const provider = new NodeTracerProvider({ resource, sampler, idGenerator: roots.idGenerator, spanProcessors: [spanProcessor] });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    sampleRoot: roots.sampleRoot,
    // A collector that is down must not hold the process's exit: the queued spans get a bounded time.
    shutdown: async (timeoutMs = 5000) => {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([provider.shutdown().catch(() => undefined), gaveUp]);
      clearTimeout(timer);
    },
  };
}
