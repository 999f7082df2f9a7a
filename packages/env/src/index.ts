export { absoluteUrl, booleanText, integer, list, logLevels, maxTimerMs, oneOf, postgresUrl, text } from "./env-values.ts";
export { parseEnvironment } from "./parse-environment.ts";
