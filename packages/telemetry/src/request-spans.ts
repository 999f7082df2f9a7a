import type { IncomingMessage, ServerResponse } from "node:http";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import { instrumentationScope } from "./scope.ts";

/** What the server knows of a request before routing it, all of it bounded: no raw path, no id. */
export interface ServerSpanRequest {
  /** The procedure (`parts.byId`), `{method} {route}` for a REST route or fixed path, or the method alone. */
  name: string;
  method: string;
  /** `http.route`: a template (`/api/parts/{id}`, `/trpc/parts.byId`); undefined for a path the server does not know. */
  route: string | undefined;
}

export interface RequestSpansOptions {
  tracer?: Tracer;
  /**
   * `Tracing.sampleRoot` of the started SDK: a request without a caller's `traceparent` that it leaves untraced is
   * handled as if tracing were off (no span, no route described, no context switched). Without it every request
   * starts a span and the SDK's sampler decides (an unsampled one then gets a non-recording span).
   */
  sampleRoot?: () => boolean;
}

/**
 * SERVER spans for `@parts/api-server`'s `tracing` option: one per traced request, continuing the caller's W3C
 * `traceparent` (through the registered propagator), active while the request is handled so that token
 * verification and repository calls become its children, ended when the response closes.
 */
export function createRequestSpans(options: RequestSpansOptions = {}) {
  const tracer = options.tracer ?? trace.getTracer(instrumentationScope);
  const { sampleRoot } = options;
  return {
    /** `describe` is called only for a request that is traced: an unsampled one never builds its name. */
    traced<T>(req: IncomingMessage, res: ServerResponse, describe: (req: IncomingMessage) => ServerSpanRequest, handle: () => T): T {
      let parent = ROOT_CONTEXT;
      // Most requests carry no trace context: the propagator is asked only when there is one to read.
      if (req.headers.traceparent !== undefined) parent = propagation.extract(ROOT_CONTEXT, req.headers);
      else if (sampleRoot !== undefined && !sampleRoot()) return handle();
      const request = describe(req);
      // No attributes at the start: the SDK's samplers decide by trace id and parent, and an unsampled request
      // then builds and sanitizes no attribute object.
      const span = tracer.startSpan(request.name, { kind: SpanKind.SERVER }, parent);
      // Unsampled: nothing to record, and nothing under it is traced (the child spans look for a recording parent).
      if (!span.isRecording()) return handle();
      const attributes: Attributes = { "http.request.method": request.method };
      if (request.route !== undefined) attributes["http.route"] = request.route;
      span.setAttributes(attributes);
      res.once("close", () => {
        if (res.headersSent) span.setAttribute("http.response.status_code", res.statusCode);
        // Semantic conventions: a server span is an error for 5xx only; 4xx are the caller's.
        if (res.headersSent && res.statusCode >= 500) {
          span.setAttribute("error.type", String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      });
      return context.with(trace.setSpan(parent, span), handle);
    },
  };
}

export type RequestSpans = ReturnType<typeof createRequestSpans>;
