import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { metricsFor } from "./metrics.ts";

const base = { ISSUER: "http://127.0.0.1:4000" };

describe("metrics settings", () => {
  it("are off unless METRICS_PORT is set, and listen on loopback by default", () => {
    const off = loadConfig(base);
    expect(off.METRICS_PORT).toBeUndefined();
    expect(metricsFor(off)).toBeUndefined();
    const on = loadConfig({ ...base, METRICS_PORT: "9464" });
    expect(on).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: "127.0.0.1" });
    expect(metricsFor(on)?.registry.getSingleMetric("parts_api_requests_total")).toBeDefined();
  });
});
