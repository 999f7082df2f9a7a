import { collectDefaultMetrics as promClientDefaults, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { collectDefaultMetrics } from "./default-metrics.ts";
import { parseScrape, sampleTotal } from "./scrape.ts";

/** Name → type of every metric family a registry holds. */
async function families(registry: Registry): Promise<Record<string, string>> {
  const json = await registry.getMetricsAsJSON();
  return Object.fromEntries(json.map((metric) => [metric.name, String(metric.type)]));
}

describe("the default metrics", () => {
  // The guard of the one-by-one collectors: a prom-client that adds, drops or renames a default metric fails here.
  it("are the names and types prom-client's collectDefaultMetrics registers, prefix included", async () => {
    const theirs = new Registry();
    promClientDefaults({ register: theirs, prefix: "x_" });
    const ours = new Registry();
    collectDefaultMetrics(ours, "x_", 10);
    expect(await families(ours)).toEqual(await families(theirs));
  });

  it("time garbage collections by kind, from V8's GC profiler, read at each scrape", async () => {
    const registry = new Registry();
    collectDefaultMetrics(registry, "", 10);
    // Enough short-lived objects for several scavenges (the young generation holds a few MB).
    let kept: unknown[] = [];
    for (let n = 0; n < 2_000_000; n++) {
      kept.push({ n });
      if (kept.length > 1000) kept = [];
    }
    const scraped = await parseScrape(await registry.metrics());
    const minor = sampleTotal(scraped, "nodejs_gc_duration_seconds", { kind: "minor" });
    expect(minor).toBeGreaterThan(0);
    expect(scraped["nodejs_gc_duration_seconds"]!.help).toBe("Garbage collection duration by kind, one of major, minor, incremental or weakcb.");
  });
});
