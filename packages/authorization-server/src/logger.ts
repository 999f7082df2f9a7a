import pino, { type Logger } from "pino";

/** JSON logs; secrets and tokens are never logged on purpose, and these paths are redacted should they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "parts-issuer" },
      redact: {
        paths: ["authorization", "*.authorization", "client_secret", "*.client_secret", "secret", "*.secret", "token", "*.token"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

export type { Logger };
