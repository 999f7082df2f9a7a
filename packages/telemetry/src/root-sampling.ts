import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type Sampler,
} from "@opentelemetry/sdk-trace-node";

/** The SDK's ratio when OTEL_TRACES_SAMPLER_ARG is unset, not a number, or outside [0, 1]. */
const defaultRatio = 1;

function ratioOf(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return defaultRatio;
  const ratio = Number(text);
  return Number.isNaN(ratio) || ratio < 0 || ratio > 1 ? defaultRatio : ratio;
}

/** How a trace that starts here is sampled: always, never, or by trace id at a ratio (the root sampler's rule). */
export type RootPolicy = { always: boolean } | { ratio: number };

export interface EnvironmentSampling {
  /** The sampler, built as the SDK builds it when given none (its builder is not exported). */
  sampler: Sampler;
  /** What that sampler decides for a span without a parent. */
  root: RootPolicy;
}

/**
 * The sampler that OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, and its rule for roots: the process
 * decides roots ahead of the SDK with the rule, and hands the SDK the sampler. `root-sampling.test.ts` holds the
 * sampler to the SDK's own, trace id by trace id, for every value.
 */
export function samplingFromEnvironment(env: Record<string, string | undefined> = process.env): EnvironmentSampling {
  const ratio = ratioOf(env.OTEL_TRACES_SAMPLER_ARG);
  switch (env.OTEL_TRACES_SAMPLER?.trim() || "parentbased_always_on") {
    case "always_on":
      return { sampler: new AlwaysOnSampler(), root: { always: true } };
    case "always_off":
      return { sampler: new AlwaysOffSampler(), root: { always: false } };
    case "traceidratio":
      return { sampler: new TraceIdRatioBasedSampler(ratio), root: { ratio } };
    case "parentbased_always_off":
      return { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }), root: { always: false } };
    case "parentbased_traceidratio":
      return { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }), root: { ratio } };
    default:
      return { sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), root: { always: true } };
  }
}

const random32 = () => (Math.random() * 2 ** 32) >>> 0;
const hex32 = (word: number) => word.toString(16).padStart(8, "0");

/**
 * A random trace id whose four 32-bit words XOR to `accumulated`: the number the SDK's TraceIdRatioBasedSampler
 * compares with its bound (`ratioBound`; it samples below it). Exported for the guard test.
 */
export function traceIdAccumulatingTo(accumulated: number): string {
  let first = random32();
  const second = random32();
  let third = random32();
  // All four words zero would be the invalid trace id; this keeps the XOR and makes it valid.
  if ((first | second | third | accumulated) === 0) first = third = 1;
  const fourth = (accumulated ^ first ^ second ^ third) >>> 0;
  return hex32(first) + hex32(second) + hex32(third) + hex32(fourth);
}

/** The SDK ratio sampler's bound: a trace id is sampled when the XOR of its words is below it (all of them at 1). */
export function ratioBound(ratio: number): number {
  const clamped = Math.min(1, Math.max(0, ratio));
  return clamped === 1 ? 2 ** 32 : Math.floor(clamped * 0xffffffff);
}

/** The provider's id generator, and the decision it serves: whether a request that starts a trace is traced. */
export interface RootSampling {
  idGenerator: IdGenerator;
  /**
   * Whether a trace started now is sampled, by `policy`. At a ratio it draws the number the SDK's ratio sampler
   * would compute from the trace id; when that samples, the next root span started takes a trace id built to give
   * that number, so the SDK's own sampler, deciding on it, agrees.
   */
  sampleRoot(): boolean;
}

/**
 * Deciding a root before the SDK does is what makes an unsampled request cheap: the SDK's `startSpan` draws two
 * ids as hex strings, sanitizes attributes, counts the span in its own metrics and wraps a non-recording span
 * (0.6 µs in a loop), and asking its sampler about a drawn id costs 0.4 µs, all for a span nobody will see
 * (bench/README.md, "What observability costs"). Here an unsampled root costs one `Math.random()`. The one
 * thing this takes from the SDK's internals, how its ratio sampler reads a trace id, is guarded by
 * `root-sampling.test.ts` (docs/decisions/0004-root-sampling.md).
 */
export function createRootSampling(policy: RootPolicy): RootSampling {
  const ids = new RandomIdGenerator();
  let decided: string | undefined;
  const bound = "ratio" in policy ? ratioBound(policy.ratio) : 0;
  return {
    idGenerator: {
      generateTraceId() {
        const traceId = decided ?? ids.generateTraceId();
        decided = undefined;
        return traceId;
      },
      generateSpanId: () => ids.generateSpanId(),
    },
    sampleRoot() {
      if ("always" in policy) return policy.always;
      const accumulated = random32();
      if (accumulated >= bound) return false;
      decided = traceIdAccumulatingTo(accumulated);
      return true;
    },
  };
}
