export { loadConfig, ServerConfig, IssuerUrl } from "./config.ts";
export { createPartsServer, maxBatchCalls, maxBodyBytes, type PartsServer, type PartsServerOptions } from "./http-server.ts";
export { createLogger, type Logger } from "./logger.ts";
