import pino, { type Logger } from "pino";

/** JSON logs; request headers are never logged, and these paths are redacted should they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "parts-server" },
      redact: { paths: ["authorization", "*.authorization", "token", "*.token", "secret", "*.secret"], censor: "[redacted]" },
    },
    destination,
  );
}

export type { Logger };
