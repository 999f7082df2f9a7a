import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";

/**
 * The `error.type` of a failed call: a stable code when the error carries one (AuthError, DatabaseError), else its
 * class name. Never the message: a database driver's message can hold query parameters, a verifier's a claim.
 */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  return error instanceof Error ? error.name : "unknown";
}

/** Ends `span` when `result` settles (OK or ERROR with `error.type`), on a side branch: the caller keeps `result`. */
export function endWith(span: Span, result: Promise<unknown>): void {
  result.then(
    () => span.end(),
    (error: unknown) => {
      span.setAttribute("error.type", errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  );
}

/** Whether the active span records: the first question of every child span, asked before anything is allocated. */
export function recordingSpanActive(): boolean {
  return trace.getSpan(context.active())?.isRecording() === true;
}

export interface ChildSpan {
  name: string;
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `call` with a child span of the active span around it, or plainly when there is none or it is not
 * recording (an unsampled request): an unsampled request then costs one context lookup per call, and no orphan
 * span is started as the root of a trace of its own. The same promise comes back (no extra turn for the caller).
 * The child is not made active: nothing under it is traced.
 */
export function inChildSpan<R>(tracer: Tracer, child: ChildSpan, call: () => Promise<R>, onStarted?: (span: Span) => void): Promise<R> {
  if (!recordingSpanActive()) return call();
  const span = tracer.startSpan(child.name, { kind: child.kind ?? SpanKind.INTERNAL, attributes: child.attributes });
  let result: Promise<R>;
  try {
    result = call();
  } catch (error) {
    endWith(span, Promise.reject(error));
    throw error;
  }
  onStarted?.(span);
  endWith(span, result);
  return result;
}
