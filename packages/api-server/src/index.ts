export { createPartsServer, maxBatchCalls, maxBodyBytes, trpcBasePath, type PartsServer, type PartsServerOptions } from "./http-server.ts";
export { createLoadShedder, defaultMaxHeapUsedBytes, type LoadShedder, type LoadShedderOptions } from "./load-shedder.ts";
export { createLogger, type Logger } from "./logger.ts";
