import { fastCounter, fastHistogram, Gauge, type Registry } from "@parts/metrics";
import { methodLabel, routeLabel, statusLabel } from "./route-label.ts";

/**
 * Upper bounds in seconds: fine steps around 1 ms (the cached-token `parts.byId` median) and up to 100 ms and
 * beyond for the tail, so both a p50 near 1 ms and a p99 near 100 ms fall between close bounds.
 */
export const requestDurationBuckets = [0.0002, 0.0005, 0.001, 0.0015, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** Requests by route, method and status, their duration, and how many are being answered now. */
export function createRequestMetrics(registry: Registry) {
  const requests = fastCounter(registry, {
    name: "parts_api_requests_total",
    help: "Requests answered, by route (procedure or REST route template), method and status.",
    labelNames: ["route", "method", "status"],
  });
  const duration = fastHistogram(registry, {
    name: "parts_api_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response, by route and method.",
    labelNames: ["route", "method"],
    buckets: requestDurationBuckets,
  });
  let inFlight = 0;
  new Gauge({
    name: "parts_api_requests_in_flight",
    help: "Requests received and not yet answered.",
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  return {
    started(): void {
      inFlight++;
    },
    /** `status` is the answer's, or `aborted` when the connection closed before the answer was complete. */
    finished(url: string, method: string | undefined, status: number | "aborted", seconds: number): void {
      inFlight--;
      const route = routeLabel(url);
      const methodText = methodLabel(method);
      requests(route, methodText, status === "aborted" ? status : statusLabel(status)).inc();
      duration(route, methodText).observe(seconds);
    },
  };
}
