import type { IncomingMessage, ServerResponse } from "node:http";
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context, type Tracer } from "@opentelemetry/api";
import { NodeTracerProvider, RandomIdGenerator, SamplingDecision } from "@opentelemetry/sdk-trace-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRequestSpans } from "./request-spans.ts";
import { createRootSampling, ratioBound, samplingFromEnvironment, traceIdAccumulatingTo } from "./root-sampling.ts";

const samplerVariables = ["OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"] as const;
const saved = Object.fromEntries(samplerVariables.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of samplerVariables) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const random = new RandomIdGenerator();
const traceIds = Array.from({ length: 300 }, () => random.generateTraceId());
const parents: [string, Context][] = [
  ["no parent", ROOT_CONTEXT],
  ["a sampled remote parent", trace.setSpanContext(ROOT_CONTEXT, { traceId: traceIds[0]!, spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED, isRemote: true })],
  ["an unsampled remote parent", trace.setSpanContext(ROOT_CONTEXT, { traceId: traceIds[1]!, spanId: "b7ad6b7169203331", traceFlags: TraceFlags.NONE, isRemote: true })],
];

/** Whether the SDK, building its sampler from the environment itself, records a span with this trace id under `parent`. */
function sdkRecords(tracer: Tracer, next: { traceId?: string }, traceId: string, parent: Context): boolean {
  next.traceId = traceId;
  const span = tracer.startSpan("request", { kind: SpanKind.SERVER }, parent);
  const recording = span.isRecording();
  span.end();
  return recording;
}

describe("samplingFromEnvironment", () => {
  const settings: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ["always_on", undefined],
    ["always_off", undefined],
    ["parentbased_always_on", undefined],
    ["parentbased_always_off", undefined],
    ["traceidratio", "0.25"],
    ["traceidratio", "0"],
    ["traceidratio", undefined],
    ["parentbased_traceidratio", "0.5"],
    ["parentbased_traceidratio", "1"],
    ["parentbased_traceidratio", "not a number"],
    ["parentbased_traceidratio", "2"],
    ["parentbased_traceidratio", " "],
  ];

  // The guard of the copy: if the SDK changes how it reads these variables, the two part here.
  it.each(settings)("decides as the SDK's own sampler for OTEL_TRACES_SAMPLER=%s, ARG=%s, trace id by trace id", (name, ratio) => {
    for (const [variable, value] of [["OTEL_TRACES_SAMPLER", name], ["OTEL_TRACES_SAMPLER_ARG", ratio]] as const) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
    const next: { traceId?: string } = {};
    const idGenerator = { generateTraceId: () => next.traceId!, generateSpanId: () => random.generateSpanId() };
    const sdkTracer = new NodeTracerProvider({ idGenerator }).getTracer("guard");
    const ours = samplingFromEnvironment().sampler;
    for (const [, parent] of parents) {
      for (const traceId of traceIds) {
        const expected = sdkRecords(sdkTracer, next, traceId, parent);
        // Under a parent the span is in the parent's trace, whatever id the generator has.
        const spanTraceId = trace.getSpanContext(parent)?.traceId ?? traceId;
        const decided = ours.shouldSample(parent, spanTraceId, "request", SpanKind.SERVER, {}, []).decision !== SamplingDecision.NOT_RECORD;
        expect(decided).toBe(expected);
      }
    }
  });

  // The one piece of the SDK's internals the root decision relies on: a ratio sampler samples a trace id when the XOR of
  // its four 32-bit words is below a bound set by the ratio (`ratioBound`). If the SDK changes its rule, this fails.
  it.each(settings)("gives the rule its sampler applies to roots, for OTEL_TRACES_SAMPLER=%s, ARG=%s", (name, ratio) => {
    const { sampler, root } = samplingFromEnvironment({ OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: ratio });
    const bound = "ratio" in root ? ratioBound(root.ratio) : 0;
    const edges = [0, 1, bound - 1, bound, bound + 1, 0x7fffffff, 0xfffffffe, 0xffffffff].filter((n) => n >= 0 && n <= 0xffffffff);
    const draws = Array.from({ length: 2000 }, () => Math.floor(Math.random() * 2 ** 32));
    for (const accumulated of [...edges, ...draws]) {
      const traceId = traceIdAccumulatingTo(accumulated);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const sampled = sampler.shouldSample(ROOT_CONTEXT, traceId, "request", SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
      expect(sampled).toBe("always" in root ? root.always : accumulated < bound);
    }
  });
});

describe("createRootSampling", () => {
  function tracerDeciding(ratio: string) {
    const { sampler, root } = samplingFromEnvironment({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio });
    const roots = createRootSampling(root);
    const tracer = new NodeTracerProvider({ sampler, idGenerator: roots.idGenerator }).getTracer("roots");
    return { roots, tracer, sampler };
  }

  it("hands the trace id it decided on to the next root span, which the SDK then records", () => {
    const { roots, tracer, sampler } = tracerDeciding("0.5");
    let sampled = 0;
    for (let n = 0; n < 400; n++) {
      if (!roots.sampleRoot()) continue;
      sampled++;
      const span = tracer.startSpan("request", { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      expect(span.isRecording()).toBe(true);
      span.end();
      expect(sampler.shouldSample(ROOT_CONTEXT, span.spanContext().traceId, "request", SpanKind.SERVER, {}, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    }
    // Half of 400, give or take: 120–280 is more than 8 standard deviations either way.
    expect(sampled).toBeGreaterThan(120);
    expect(sampled).toBeLessThan(280);
  });

  it("hands it over once: the root span after the next draws a fresh id", () => {
    const { roots, tracer } = tracerDeciding("1");
    expect(roots.sampleRoot()).toBe(true);
    const ids = [0, 1].map(() => tracer.startSpan("request", {}, ROOT_CONTEXT).spanContext().traceId);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("samples every root with an always-on sampler and none with an always-off one, without building ids", () => {
    for (const [name, expected] of [["parentbased_always_on", true], ["always_off", false]] as const) {
      const roots = createRootSampling(samplingFromEnvironment({ OTEL_TRACES_SAMPLER: name }).root);
      expect(Array.from({ length: 100 }, () => roots.sampleRoot()).every((decided) => decided === expected)).toBe(true);
    }
  });

  it("never samples a root at ratio 0", () => {
    const { roots } = tracerDeciding("0");
    expect(Array.from({ length: 2000 }, () => roots.sampleRoot()).some(Boolean)).toBe(false);
  });
});

describe("createRequestSpans with sampleRoot", () => {
  const res = { once: vi.fn() } as unknown as ServerResponse;
  const tracer = { startSpan: vi.fn() } as unknown as Tracer;

  it("handles a request it leaves untraced without a span, a description or a response listener", () => {
    const describe = vi.fn();
    const spans = createRequestSpans({ tracer, sampleRoot: () => false });
    expect(spans.traced({ headers: {} } as unknown as IncomingMessage, res, describe, () => "answered")).toBe("answered");
    expect(describe).not.toHaveBeenCalled();
    expect(tracer.startSpan).not.toHaveBeenCalled();
    expect(res.once).not.toHaveBeenCalled();
  });

  it("leaves a request with a traceparent to the caller's decision, without asking sampleRoot", () => {
    const sampleRoot = vi.fn(() => false);
    const spans = createRequestSpans({ sampleRoot });
    const traceparent = `00-${traceIds[2]}-b7ad6b7169203331-00`;
    expect(spans.traced({ headers: { traceparent } } as unknown as IncomingMessage, res, () => ({ name: "parts.byId", method: "GET", route: undefined }), () => "answered")).toBe("answered");
    expect(sampleRoot).not.toHaveBeenCalled();
  });
});
