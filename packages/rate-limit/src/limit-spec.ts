import { text } from "@parts/env";
import { z } from "zod";

/** The windows a limit may name, in seconds. */
export const windowSeconds = { second: 1, minute: 60, hour: 3600 } as const;
export type WindowName = keyof typeof windowSeconds;

/** How many main windows the burst allowance takes to refill: a burst is occasional, not a higher steady rate. */
export const burstWindowFactor = 10;

/**
 * A parsed limit: `points` requests per `windowSeconds`, plus `burst` extra requests that refill once per
 * `burstWindowFactor` windows (0 = none).
 */
export interface LimitSpec {
  points: number;
  windowSeconds: number;
  burst: number;
}

const syntax = /^(\d{1,9})\/(second|minute|hour)(?:,burst=(\d{1,9}))?$/;
const reason = "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)";

/** `600/minute` or `600/minute,burst=100` as a `LimitSpec`, or undefined when the text does not parse. */
export function parseLimitSpec(value: string): LimitSpec | undefined {
  const match = syntax.exec(value.replace(/\s+/g, ""));
  if (!match) return undefined;
  const points = Number(match[1]);
  if (points < 1) return undefined;
  return { points, windowSeconds: windowSeconds[match[2] as WindowName], burst: Number(match[3] ?? 0) };
}

/** An environment variable holding a limit (`RATE_LIMIT_READ=600/minute,burst=100`), in @parts/env style. */
export const limitSpec = () =>
  text()
    .transform((value, ctx) => {
      const spec = parseLimitSpec(value);
      if (spec === undefined) ctx.addIssue({ code: "custom", message: reason });
      return spec ?? z.NEVER;
    });

/** The spec written back in the variable's syntax, for log lines and documentation. */
export function describeLimitSpec(spec: LimitSpec): string {
  const window = (Object.keys(windowSeconds) as WindowName[]).find((name) => windowSeconds[name] === spec.windowSeconds);
  const base = `${spec.points}/${window ?? `${spec.windowSeconds}s`}`;
  return spec.burst > 0 ? `${base},burst=${spec.burst}` : base;
}
