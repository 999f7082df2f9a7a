export {
  createPartsServer,
  maxBatchCalls,
  maxBodyBytes,
  readinessPingTimeoutMs,
  trpcBasePath,
  type PartsServer,
  type PartsServerOptions,
  type ServedDatabase,
} from "./http-server.ts";
export { createLoadShedder, defaultMaxHeapUsedBytes, type LoadShedder, type LoadShedderOptions } from "./load-shedder.ts";
export { createLogger, type Logger } from "./logger.ts";
export { docsPath } from "./docs-page/docs-handler.ts";
export { bundledFolderName as swaggerUiBundledFolderName, copySwaggerUiFiles } from "./docs-page/swagger-ui-files.ts";
export { createApiMetrics, type ApiMetrics } from "./metrics/api-metrics.ts";
/** The listener the host starts for them (a port of its own, never the API's). */
export { startMetricsListener, type MetricsListener } from "@parts/metrics";
