import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Counter, createMetricsRegistry, fastCounter, fastHistogram, startMetricsListener, type MetricsListener } from "./index.ts";
import { parseScrape, sampleTotal } from "./scrape.ts";

function get(url: string, method = "GET"): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, type: res.headers["content-type"], body }));
    })
      .on("error", reject)
      .end();
  });
}

let listener: MetricsListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe("metrics registry and listener", () => {
  it("serves the registry's metrics, default process and event-loop metrics included, in the Prometheus text format", async () => {
    const registry = createMetricsRegistry();
    new Counter({ name: "test_calls_total", help: "calls", registers: [registry] }).inc(3);
    listener = await startMetricsListener(registry, 0, "127.0.0.1");
    const answer = await get(`${listener.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.type).toContain("text/plain; version=0.0.4");
    const metrics = await parseScrape(answer.body);
    expect(sampleTotal(metrics, "test_calls_total")).toBe(3);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_eventloop_lag_p99_seconds"]) {
      expect(metrics[name], name).toBeDefined();
    }
  });

  it("answers 404 on every other path and method", async () => {
    listener = await startMetricsListener(createMetricsRegistry(), 0, "127.0.0.1");
    expect((await get(`${listener.url}/`)).status).toBe(404);
    expect((await get(`${listener.url}/metrics/x`)).status).toBe(404);
    expect((await get(`${listener.url}/metrics`, "POST")).status).toBe(404);
    expect(await get(`${listener.url}/metrics`, "HEAD")).toMatchObject({ status: 200, body: "" });
  });

  it("keeps two registries apart: the same metric name in each counts separately", async () => {
    const [first, second] = [createMetricsRegistry(), createMetricsRegistry()];
    new Counter({ name: "test_shared_total", help: "h", registers: [first] }).inc(1);
    new Counter({ name: "test_shared_total", help: "h", registers: [second] }).inc(5);
    expect((await first.getSingleMetric("test_shared_total")!.get()).values[0]!.value).toBe(1);
    expect((await second.getSingleMetric("test_shared_total")!.get()).values[0]!.value).toBe(5);
  });
});

describe("fast counters and histograms", () => {
  it("count per label combination and come out in the text format a Prometheus parser reads", async () => {
    const registry = createMetricsRegistry();
    const requests = fastCounter(registry, { name: "test_requests_total", help: "requests", labelNames: ["route", "status"] });
    const duration = fastHistogram(registry, { name: "test_duration_seconds", help: "duration", labelNames: ["route"], buckets: [0.001, 0.1] });
    const ok = requests("a", "200");
    ok.inc();
    ok.inc();
    expect(requests("a", "200")).toBe(ok);
    requests("b", "500").inc(3);
    for (const seconds of [0.0005, 0.001, 0.05, 2]) duration("a").observe(seconds);
    duration("b").observe(0.01);
    const metrics = await parseScrape(await registry.metrics());
    expect(sampleTotal(metrics, "test_requests_total", { route: "a", status: "200" })).toBe(2);
    expect(sampleTotal(metrics, "test_requests_total", { status: "500" })).toBe(3);
    expect(metrics.test_duration_seconds).toMatchObject({
      type: "histogram",
      data: [
        { labels: { route: "a" }, buckets: { "0.001": 2, "0.1": 3, "+Inf": 4 }, count: 4, sum: 2.0515 },
        { labels: { route: "b" }, buckets: { "0.001": 0, "0.1": 1, "+Inf": 1 }, count: 1, sum: 0.01 },
      ],
    });
  });
});
