import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, DatabaseError, openDatabase, type DatabaseErrorCode, type DatabaseHandle, type PartsRepository } from "@parts/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../auth/verifier.ts";
import { createContext } from "../context.ts";
import { appRouter } from "../root.ts";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { createCallerFactory } from "../trpc.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
const createCaller = createCallerFactory(appRouter);
let callerWith: (scope?: string) => Promise<ReturnType<typeof createCaller>>;
let counter = 0;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
  dir = mkdtempSync(join(tmpdir(), "parts-router-"));
  database = openDatabase(join(dir, "parts.db"));
  const parts = createPartsRepository(database.db);
  callerWith = async (scope = "parts:read parts:write") =>
    createCaller(createContext({ verifier, parts }, { authorization: `Bearer ${await issuer.sign({ scope })}` }));
});

afterAll(async () => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
  await issuer.close();
});

beforeEach(() => {
  database.sqlite.exec("delete from parts");
});

const newPart = (overrides: Record<string, unknown> = {}) => ({
  partNumber: `PN-${++counter}`,
  modelNumber: "M-100",
  name: "Hex bolt",
  ...overrides,
});

async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const rowCount = () => database.sqlite.prepare("select count(*) from parts").pluck().get();

describe("parts procedures", () => {
  it("create trims input, stores a null description and returns the part", async () => {
    const caller = await callerWith();
    const part = await caller.parts.create({ partNumber: "  PN-X1 ", modelNumber: "M", name: " Bolt ", description: "  " });
    expect(part).toMatchObject({ partNumber: "PN-X1", modelNumber: "M", name: "Bolt", description: null });
    expect(await caller.parts.byId({ id: part.id })).toEqual(part);
  });

  it("byId answers NOT_FOUND for a missing part", async () => {
    const error = await trpcError((await callerWith()).parts.byId({ id: 424242 }));
    expect(error.code).toBe("NOT_FOUND");
  });

  it("create with a duplicate partNumber answers CONFLICT and changes nothing", async () => {
    const caller = await callerWith();
    const first = await caller.parts.create(newPart({ partNumber: "DUP" }));
    const error = await trpcError(caller.parts.create(newPart({ partNumber: "DUP", name: "Other" })));
    expect(error.code).toBe("CONFLICT");
    expect(rowCount()).toBe(1);
    expect(await caller.parts.byId({ id: first.id })).toEqual(first);
  });

  it("update changes given fields, clears description with null, and reports NOT_FOUND/CONFLICT", async () => {
    const caller = await callerWith();
    const a = await caller.parts.create(newPart({ description: "old" }));
    const b = await caller.parts.create(newPart());
    expect(await caller.parts.update({ id: a.id, name: "New name" })).toMatchObject({ name: "New name", description: "old" });
    expect(await caller.parts.update({ id: a.id, description: null })).toMatchObject({ description: null });
    expect((await trpcError(caller.parts.update({ id: 999_999, name: "x" }))).code).toBe("NOT_FOUND");
    expect((await trpcError(caller.parts.update({ id: b.id, partNumber: a.partNumber }))).code).toBe("CONFLICT");
  });

  it("delete removes the part and answers NOT_FOUND the second time", async () => {
    const caller = await callerWith();
    const part = await caller.parts.create(newPart());
    expect(await caller.parts.delete({ id: part.id })).toEqual({ id: part.id });
    expect((await trpcError(caller.parts.delete({ id: part.id }))).code).toBe("NOT_FOUND");
  });

  it("every update adds 1 to the version; expectedVersion writes only at that version, else CONFLICT naming the current one", async () => {
    const caller = await callerWith();
    const part = await caller.parts.create(newPart());
    expect(part.version).toBe(1);
    expect(await caller.parts.update({ id: part.id, name: "a", expectedVersion: 1 })).toMatchObject({ name: "a", version: 2 });
    const error = await trpcError(caller.parts.update({ id: part.id, name: "stale", expectedVersion: 1 }));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toBe("the part is at version 2, not 1; read it again and retry");
    expect(await caller.parts.byId({ id: part.id })).toMatchObject({ name: "a", version: 2 });
    expect((await trpcError(caller.parts.update({ id: 999_999, name: "x", expectedVersion: 1 }))).code).toBe("NOT_FOUND");
  });

  it("delete with a stale expectedVersion answers CONFLICT and keeps the part; with the current one it deletes", async () => {
    const caller = await callerWith();
    const part = await caller.parts.create(newPart());
    await caller.parts.update({ id: part.id, name: "b" });
    const error = await trpcError(caller.parts.delete({ id: part.id, expectedVersion: 1 }));
    expect([error.code, error.message]).toEqual(["CONFLICT", "the part is at version 2, not 1; read it again and retry"]);
    expect(await caller.parts.delete({ id: part.id, expectedVersion: 2 })).toEqual({ id: part.id });
  });

  it("expectedVersion must be a positive integer", async () => {
    const caller = await callerWith();
    const part = await caller.parts.create(newPart());
    for (const expectedVersion of [0, -1, 1.5, "1"]) {
      const error = await trpcError(caller.parts.update({ id: part.id, name: "x", expectedVersion } as never));
      expect(error.code, String(expectedVersion)).toBe("BAD_REQUEST");
    }
    expect((await trpcError(caller.parts.delete({ id: part.id, expectedVersion: 0 }))).code).toBe("BAD_REQUEST");
    expect(await caller.parts.byId({ id: part.id })).toMatchObject({ version: 1 });
  });

  it("list pages through every part exactly once with opaque cursors", async () => {
    const caller = await callerWith();
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await caller.parts.create(newPart())).id);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await caller.parts.list({ limit: 5, cursor });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("list defaults to 20 items and filters by modelNumber and q", async () => {
    const caller = await callerWith();
    for (let i = 0; i < 25; i++) await caller.parts.create(newPart({ modelNumber: i % 2 ? "ODD" : "EVEN", name: `Item ${i}` }));
    expect((await caller.parts.list()).items).toHaveLength(20);
    expect((await caller.parts.list({ modelNumber: "ODD", limit: 100 })).items).toHaveLength(12);
    expect((await caller.parts.list({ q: "item 2", limit: 100 })).items.map((p) => p.name)).toEqual(
      ["Item 2", "Item 20", "Item 21", "Item 22", "Item 23", "Item 24"],
    );
  });

  it("health needs no token", async () => {
    const caller = createCaller({ authenticate: () => Promise.reject(new Error("must not be called")) } as never);
    expect(await caller.health()).toEqual({ status: "ok" });
  });
});

describe("validation", () => {
  it.each([
    ["partNumber", { partNumber: "" }],
    ["partNumber", { partNumber: "   " }],
    ["partNumber", { partNumber: "x".repeat(65) }],
    ["modelNumber", { modelNumber: 12 }],
    ["name", { name: "x".repeat(201) }],
    ["description", { description: "x".repeat(10_001) }],
  ])("create rejects a bad %s with a field error and writes nothing", async (field, overrides) => {
    const error = await trpcError((await callerWith()).parts.create(newPart(overrides) as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(rowCount()).toBe(0);
    expect(JSON.stringify(error.cause)).toContain(field);
  });

  it("rejects unknown fields instead of ignoring them", async () => {
    const error = await trpcError((await callerWith()).parts.create({ ...newPart(), partnumber: "typo" } as never));
    expect(error.code).toBe("BAD_REQUEST");
  });

  it.each([{ limit: 0 }, { limit: 101 }, { limit: 1.5 }, { cursor: "not-a-cursor" }, { cursor: "aWQ6LTE" }])(
    "list rejects %j",
    async (input) => {
      expect((await trpcError((await callerWith()).parts.list(input as never))).code).toBe("BAD_REQUEST");
    },
  );

  it.each([{ id: 0 }, { id: -1 }, { id: 1.5 }, { id: "1" }, { id: Number.NaN }, { id: 2 ** 60 }])("byId rejects %j", async (input) => {
    expect((await trpcError((await callerWith()).parts.byId(input as never))).code).toBe("BAD_REQUEST");
  });
});

describe("authorization", () => {
  it("a read-only token cannot write", async () => {
    const error = await trpcError((await callerWith("parts:read")).parts.create(newPart()));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toContain("parts:write");
    expect(rowCount()).toBe(0);
  });

  it("a write-only token cannot read", async () => {
    expect((await trpcError((await callerWith("parts:write")).parts.list())).code).toBe("FORBIDDEN");
  });

  it("substrings of a scope do not grant it", async () => {
    const caller = await callerWith("parts:readonly xparts:write parts:writer");
    expect((await trpcError(caller.parts.list())).code).toBe("FORBIDDEN");
    expect((await trpcError(caller.parts.create(newPart()))).code).toBe("FORBIDDEN");
  });

  it("no token is UNAUTHORIZED", async () => {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const caller = createCaller(createContext({ verifier, parts: createPartsRepository(database.db) }, { authorization: undefined }));
    expect((await trpcError(caller.parts.list())).code).toBe("UNAUTHORIZED");
  });
});

describe("database failures", () => {
  /** A repository whose every call fails as the PostgreSQL engine does when the database cannot serve. */
  function failingRepository(code: DatabaseErrorCode): PartsRepository {
    const fail = () => Promise.reject(new DatabaseError({ code, reason: "ECONNREFUSED" }));
    return { list: fail, byId: fail, create: fail, update: fail, delete: fail };
  }

  async function callerOver(parts: PartsRepository) {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    return createCaller(createContext({ verifier, parts }, { authorization: `Bearer ${await issuer.sign({ scope: "parts:read parts:write" })}` }));
  }

  it("an unavailable database is SERVICE_UNAVAILABLE for every procedure, with the DatabaseError as cause", async () => {
    const caller = await callerOver(failingRepository("ERR_DATABASE_UNAVAILABLE"));
    for (const call of [
      caller.parts.list(),
      caller.parts.byId({ id: 1 }),
      caller.parts.create(newPart()),
      caller.parts.update({ id: 1, name: "x" }),
      caller.parts.delete({ id: 1 }),
    ]) {
      const error = await trpcError(call);
      expect(error.code).toBe("SERVICE_UNAVAILABLE");
      expect(error.message).toBe("the database is unavailable; retry later");
      expect(error.cause).toBeInstanceOf(DatabaseError);
    }
  });

  it("any other database failure stays an internal error", async () => {
    const caller = await callerOver(failingRepository("ERR_DATABASE_QUERY"));
    expect((await trpcError(caller.parts.list())).code).toBe("INTERNAL_SERVER_ERROR");
    expect((await trpcError(caller.parts.create(newPart()))).code).toBe("INTERNAL_SERVER_ERROR");
  });
});
