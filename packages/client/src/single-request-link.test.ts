import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "@parts/router";
import { createPartsClient, isConnectionLostError } from "./client.ts";
import { singleRequestLink } from "./single-request-link.ts";
import { countingFetch, startStack, type Stack } from "@parts/test-stack";
import { createTokenProvider, type FetchLike, type TokenProvider } from "./token-provider.ts";

let stack: Stack;
let tokens: TokenProvider;

beforeAll(async () => {
  stack = await startStack();
  tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, scope: "parts:read parts:write" });
});
afterAll(async () => {
  await stack.close();
});

interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  hasSignal: boolean;
}

/** The real fetch, recording what each request put on the wire. */
function recordingFetch(): FetchLike & { sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recording = (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: input.toString(),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body,
      hasSignal: init?.signal != null,
    });
    return fetch(input, init);
  };
  return Object.assign(recording, { sent });
}

/** A tRPC client over one terminating link, with a bearer token unless `anonymous`. */
function clientWith(link: "single" | "http", options: { url?: string; anonymous?: boolean } = {}) {
  const fetch = recordingFetch();
  const headers = async (): Promise<Record<string, string>> =>
    options.anonymous ? {} : { authorization: `Bearer ${await tokens.getAccessToken()}` };
  const linkOptions = { url: options.url ?? stack.api.url, fetch, headers };
  const client: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
    links: [link === "single" ? singleRequestLink<AppRouter>(linkOptions) : httpLink<AppRouter>(linkOptions)],
  });
  return { client, sent: fetch.sent };
}

/** What a call ended with, in a form two links can be compared by (errors reduced to what callers read). */
async function outcome(call: Promise<unknown>) {
  try {
    return { value: await call };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const response = error.meta?.response as Response | undefined;
    return {
      error: {
        message: error.message,
        data: error.data as unknown,
        shape: error.shape as unknown,
        status: response?.status,
        wwwAuthenticate: response?.headers.get("www-authenticate"),
        responseJSON: error.meta?.responseJSON,
      },
    };
  }
}

describe("singleRequestLink", () => {
  it("sends the same requests as httpLink and gives the same results and errors", async () => {
    const single = clientWith("single");
    const http = clientWith("http");
    const calls: Array<[string, (c: TRPCClient<AppRouter>, n: number) => Promise<unknown>]> = [
      ["health (no input)", (c) => c.health.query()],
      ["create", (c, n) => c.parts.create.mutate({ partNumber: `PN-LINK-${n}`, modelNumber: "M-LINK", name: "Washer" })],
      ["list", (c) => c.parts.list.query({ modelNumber: "M-LINK", limit: 5 })],
      ["byId missing", (c) => c.parts.byId.query({ id: 99_999_999 })],
      ["validation", (c) => c.parts.create.mutate({ partNumber: "PN-BAD", modelNumber: "M", name: "  " })],
      ["conflict", (c) => c.parts.create.mutate({ partNumber: "PN-LINK-1", modelNumber: "M-LINK", name: "Again" })],
    ];
    for (const [name, call] of calls) {
      // The two creates get distinct part numbers, so each side sees the same outcome (a new part, then a conflict).
      const fromSingle = await outcome(call(single.client, 1));
      const fromHttp = await outcome(call(http.client, 2));
      const normalize = (o: typeof fromSingle) =>
        JSON.parse(
          JSON.stringify(o)
            .replaceAll("PN-LINK-2", "PN-LINK-1")
            .replace(/"id":\d+/g, '"id":0')
            .replace(/"(createdAt|updatedAt)":"[^"]+"/g, '"$1":""'),
        ) as unknown;
      expect(normalize(fromSingle), name).toEqual(normalize(fromHttp));
    }
    expect(single.sent.length).toBe(calls.length);
    const wire = ({ hasSignal: _, ...request }: SentRequest) =>
      JSON.parse(JSON.stringify(request).replaceAll("PN-LINK-2", "PN-LINK-1")) as unknown;
    expect(single.sent.map(wire)).toEqual(http.sent.map(wire));
    // httpLink always hands fetch a signal; this link only when the caller gave one.
    expect(single.sent.some((r) => r.hasSignal)).toBe(false);
    expect(http.sent.every((r) => r.hasSignal)).toBe(true);
  });

  it("answers a missing token and a wrong base URL like httpLink", async () => {
    for (const options of [{ anonymous: true }, { url: `${stack.api.origin}/not-trpc` }]) {
      const fromSingle = await outcome(clientWith("single", options).client.parts.byId.query({ id: 1 }));
      const fromHttp = await outcome(clientWith("http", options).client.parts.byId.query({ id: 1 }));
      expect(fromSingle.error).toBeDefined();
      expect(fromSingle).toEqual(fromHttp);
    }
  });

  it("passes the caller's signal to fetch, so an aborted call rejects with the AbortError", async () => {
    const { client, sent } = clientWith("single");
    const aborted = new AbortController();
    aborted.abort();
    const early = await outcome(client.parts.list.query({ limit: 1 }, { signal: aborted.signal }));
    expect(early.error?.message).toMatch(/abort/i);

    const controller = new AbortController();
    const call = client.parts.list.query({ limit: 100 }, { signal: controller.signal });
    controller.abort();
    const error = await call.then(
      () => expect.fail("expected the call to be aborted"),
      (e: unknown) => e as TRPCClientError<AppRouter>,
    );
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error.cause as Error).name).toBe("AbortError");
    expect(sent.every((r) => r.hasSignal)).toBe(true);
  });
});

describe("a connection lost before any answer", () => {
  it("is a connection-lost error, and createPartsClient retries a query once", async () => {
    const proxy = await droppingProxy(Number(new URL(stack.api.origin).port), 1);
    try {
      const fromLink = await clientWith("single", { url: proxy.url }).client.parts.list.query({ limit: 1 }).catch((e: unknown) => e);
      expect(isConnectionLostError(fromLink)).toBe(true);

      const again = await droppingProxy(Number(new URL(stack.api.origin).port), 1);
      try {
        const fetch = countingFetch();
        const parts = createPartsClient({ url: again.url, tokens, fetch });
        expect((await parts.parts.list.query({ limit: 1 })).items).toHaveLength(1);
        expect(fetch.apiRequests).toBe(2);
        expect(fetch.apiResponses).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it("is not retried for a mutation (it may have been applied)", async () => {
    const proxy = await droppingProxy(Number(new URL(stack.api.origin).port), 1);
    try {
      const fetch = countingFetch();
      const parts = createPartsClient({ url: proxy.url, tokens, fetch });
      const error = await parts.parts.create.mutate({ partNumber: "PN-CUT", modelNumber: "M", name: "Cut" }).catch((e: unknown) => e);
      expect(isConnectionLostError(error)).toBe(true);
      expect(fetch.apiRequests).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP proxy to the API on `targetPort` that cuts its first `drop` connections as soon as a request arrives on them. */
async function droppingProxy(targetPort: number, drop: number): Promise<{ url: string; close(): Promise<void> }> {
  let dropped = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((socket) => {
    track(socket);
    if (dropped < drop) {
      dropped++;
      socket.once("data", () => socket.destroy());
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    track(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on("close", () => upstream.destroy());
    upstream.on("close", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/trpc`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
