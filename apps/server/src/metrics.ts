import { createApiMetrics, startMetricsListener, type ApiMetrics, type Logger, type MetricsListener } from "@parts/api-server";

/** The API's metrics when METRICS_PORT is set; undefined (nothing counted, no listener) otherwise. */
export function metricsFor(config: { METRICS_PORT?: number | undefined }): ApiMetrics | undefined {
  return config.METRICS_PORT === undefined ? undefined : createApiMetrics();
}

/** Starts the /metrics listener; a port already taken stops the process, as the API's own port does. */
export async function serveMetrics(metrics: ApiMetrics, config: { METRICS_PORT?: number | undefined; METRICS_HOST: string }, logger: Logger): Promise<MetricsListener> {
  try {
    const listener = await startMetricsListener(metrics.registry, config.METRICS_PORT ?? 0, config.METRICS_HOST);
    logger.info({ url: `${listener.url}/metrics` }, "metrics listening");
    return listener;
  } catch (error) {
    logger.fatal({ code: (error as { code?: unknown }).code, variable: "METRICS_PORT" }, "cannot listen for metrics");
    process.exit(1);
  }
}
