import { connect } from "node:net";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface CallResult {
  status: number;
  headers: Headers;
  body: Json;
}

/** One tRPC call over HTTP with a bearer token (or none when `token` is null). */
export async function call(
  base: string,
  kind: "query" | "mutation",
  path: string,
  input: unknown,
  token: string | null,
  init: { authorization?: string; timeoutMs?: number } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {};
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  const query = kind === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
  const response = await fetch(`${base}/trpc/${path}${query}`, {
    method: kind === "query" ? "GET" : "POST",
    headers: kind === "mutation" ? { ...headers, "content-type": "application/json" } : headers,
    body: kind === "mutation" ? JSON.stringify(input) : undefined,
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** A client bound to one server and one token. */
export function clientFor(base: string, token: string | null) {
  return {
    query: (path: string, input?: unknown) => call(base, "query", path, input, token),
    mutation: (path: string, input?: unknown) => call(base, "mutation", path, input, token),
  };
}

export async function healthz(base: string): Promise<number> {
  const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Writes raw bytes on a fresh TCP connection and collects the response until the server closes it or
 * `timeoutMs` passes. For requests fetch refuses to send (non-ASCII header bytes, odd framing).
 */
export function rawRequest(base: string, bytes: Buffer | string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      // One response is enough: stop once the body announced by content-length has arrived.
      const text = Buffer.concat(chunks).toString("latin1");
      const headerEnd = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (headerEnd >= 0 && length !== undefined && text.length >= headerEnd + 4 + Number(length)) {
        socket.destroy();
        finish();
      }
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (error) => {
      if (chunks.length > 0) finish();
      else reject(error);
    });
    socket.write(bytes);
  });
}

/** Parses the tRPC error body of a single call. */
export function trpcError(result: CallResult): { code: string; authError: string | null; zodError: Json | null } {
  const data = result.body.error?.data ?? {};
  return { code: data.code, authError: data.authError ?? null, zodError: data.zodError ?? null };
}
