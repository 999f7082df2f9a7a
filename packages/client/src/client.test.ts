import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@parts/router";
import { createFirstCallOfTick, createPartsClient } from "./client.ts";
import { TokenRequestError, tokenRequestErrorOf } from "./errors.ts";
import { countingFetch, startStack, type Stack } from "@parts/test-stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

function client(overrides: { fetch?: ReturnType<typeof countingFetch>; scope?: string; clientSecret?: string } = {}) {
  return createPartsClient({
    url: stack.api.url,
    issuer: stack.issuer.url,
    clientId: stack.client.clientId,
    clientSecret: overrides.clientSecret ?? stack.client.clientSecret,
    scope: overrides.scope ?? "parts:read parts:write",
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected the call to fail"),
    (error: unknown) => error,
  );
}

describe("typed calls", () => {
  it("calls every procedure and gets typed results", async () => {
    const parts = client();
    expect(await parts.health.query()).toEqual({ status: "ok" });

    const created = await parts.parts.create.mutate({ partNumber: "PN-TYPED-1", modelNumber: "M-TYPED", name: "Bolt" });
    expect(created).toMatchObject({ partNumber: "PN-TYPED-1", modelNumber: "M-TYPED", name: "Bolt", description: null });
    expect(created.id).toBeGreaterThan(0);

    expect(await parts.parts.byId.query({ id: created.id })).toEqual(created);

    const page = await parts.parts.list.query({ modelNumber: "M-TYPED", limit: 10 });
    expect(page.items.map((p) => p.id)).toEqual([created.id]);
    expect(page.nextCursor).toBeNull();

    const updated = await parts.parts.update.mutate({ id: created.id, name: "Hex bolt", description: "M8" });
    expect(updated).toMatchObject({ id: created.id, name: "Hex bolt", description: "M8" });

    expect(await parts.parts.delete.mutate({ id: created.id })).toEqual({ id: created.id });
    const gone = await rejection(parts.parts.byId.query({ id: created.id }));
    expect(gone).toBeInstanceOf(TRPCClientError);
    expect((gone as TRPCClientError<AppRouter>).data?.code).toBe("NOT_FOUND");
  });

  it("surfaces validation failures with field details", async () => {
    const error = (await rejection(
      client().parts.create.mutate({ partNumber: "PN-BAD", modelNumber: "M", name: "   " }),
    )) as TRPCClientError<AppRouter>;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.data?.zodError?.fieldErrors).toHaveProperty("name");
  });

  it("surfaces a unique-constraint violation as CONFLICT", async () => {
    const parts = client();
    await parts.parts.create.mutate({ partNumber: "PN-DUP", modelNumber: "M-DUP", name: "First" });
    const error = (await rejection(
      parts.parts.create.mutate({ partNumber: "PN-DUP", modelNumber: "M-DUP", name: "Second" }),
    )) as TRPCClientError<AppRouter>;
    expect(error.data?.code).toBe("CONFLICT");
  });
});

describe("token reuse", () => {
  it("makes 1,000 sequential calls with exactly one token request", async () => {
    const fetch = countingFetch();
    const parts = client({ fetch });
    for (let i = 0; i < 1000; i++) await parts.health.query();
    expect(fetch.apiRequests).toBe(1000);
    expect(fetch.tokenRequests).toBe(1);
  });

  it("makes 50 concurrent calls from a cold client with exactly one token request", async () => {
    const fetch = countingFetch();
    const parts = client({ fetch });
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      calls.push(parts.parts.list.query({ limit: 1 }));
      // Yield between calls so they go out in several HTTP batches, all while the first token is in flight.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(calls);
    expect(results).toHaveLength(50);
    expect(fetch.apiRequests).toBeGreaterThan(1);
    expect(fetch.tokenRequests).toBe(1);
  });

  it("sends the first of 60 calls in one tick at once and batches the other 59 by at most 50 (the server's limit)", async () => {
    const fetch = countingFetch();
    const parts = client({ fetch });
    const results = await Promise.all(Array.from({ length: 60 }, () => parts.health.query()));
    expect(results.every((r) => r.status === "ok")).toBe(true);
    expect(fetch.apiRequests).toBe(3);
    expect(fetch.tokenRequests).toBe(1);
  });
});

describe("the server's request budget", () => {
  it("sends concurrent list pages one request each, so 30 full pages are served where one batch of them would be refused", async () => {
    const fetch = countingFetch();
    const parts = client({ fetch });
    const pages = await Promise.all(Array.from({ length: 30 }, () => parts.parts.list.query({ limit: 100 })));
    expect(pages).toHaveLength(30);
    expect(fetch.apiRequests).toBe(30);
  });

  it("still batches other calls alongside list pages", async () => {
    const fetch = countingFetch();
    const parts = client({ fetch });
    await Promise.all([parts.parts.list.query({ limit: 100 }), ...Array.from({ length: 10 }, () => parts.health.query())]);
    // the page alone, the first other call of the tick at once, the remaining nine in one batch
    expect(fetch.apiRequests).toBe(3);
  });
});

describe("authentication failures", () => {
  it("rejects a wrong secret with a typed invalid_client error that does not contain the secret", async () => {
    const secret = "wrong-secret-value-0123456789";
    const error = await rejection(client({ clientSecret: secret }).health.query());
    const tokenError = tokenRequestErrorOf(error);
    expect(tokenError).toBeInstanceOf(TokenRequestError);
    expect(tokenError?.code).toBe("invalid_client");
    expect(tokenError?.status).toBe(401);
    expect(`${(error as Error).message} ${tokenError?.message}`).not.toContain(secret);
  });

  it("rejects a scope the client may not have with invalid_scope", async () => {
    const error = await rejection(client({ scope: "parts:read parts:admin" }).health.query());
    expect(tokenRequestErrorOf(error)?.code).toBe("invalid_scope");
  });

  it("surfaces a missing scope as FORBIDDEN naming the required scope", async () => {
    const reader = await stack.issuer.clients.create({ name: "reader", scope: "parts:read" });
    const parts = createPartsClient({
      url: stack.api.url,
      issuer: stack.issuer.url,
      clientId: reader.clientId,
      clientSecret: reader.clientSecret!,
      scope: "parts:read",
    });
    expect((await parts.parts.list.query({ limit: 1 })).items).toBeInstanceOf(Array);
    const error = (await rejection(
      parts.parts.create.mutate({ partNumber: "PN-RO", modelNumber: "M", name: "Nope" }),
    )) as TRPCClientError<AppRouter>;
    expect(error.data?.code).toBe("FORBIDDEN");
    expect(error.data?.authError).toBe("insufficient_scope");
    expect(error.message).toContain("parts:write");
    const response = error.meta?.response as Response | undefined;
    expect(response?.headers.get("www-authenticate")).toContain('scope="parts:write"');
  });
});

describe("link scheduling", () => {
  it("lets the first call of a tick through and holds the rest of that tick for batching", async () => {
    const firstCallOfTick = createFirstCallOfTick();
    expect([firstCallOfTick(), firstCallOfTick(), firstCallOfTick()]).toEqual([true, false, false]);
    await Promise.resolve();
    expect(firstCallOfTick()).toBe(true);
  });
});
