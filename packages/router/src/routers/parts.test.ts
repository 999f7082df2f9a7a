import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, DatabaseError, openDatabase, type DatabaseErrorCode, type DatabaseHandle, type PartsRepository } from "@parts/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../auth/verifier.ts";
import { createContext, type AuditEvent } from "../context.ts";
import { requestLimits } from "../limits/request-limits.ts";
import { appRouter } from "../root.ts";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { createCallerFactory } from "../trpc.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
const createCaller = createCallerFactory(appRouter);
let callerWith: (scope?: string) => Promise<ReturnType<typeof createCaller>>;
/** A caller whose token names `clientId` (both scopes). */
let callerAs: (clientId: string) => Promise<ReturnType<typeof createCaller>>;
/** What the `audit` hook was given, since the test began. */
const events: AuditEvent[] = [];
let counter = 0;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
  dir = mkdtempSync(join(tmpdir(), "parts-router-"));
  database = openDatabase(join(dir, "parts.db"));
  const parts = createPartsRepository(database.db);
  const audit = (event: AuditEvent) => events.push(event);
  const callerFor = async (claims: Record<string, string>) =>
    createCaller(createContext({ verifier, parts, audit }, { authorization: `Bearer ${await issuer.sign(claims)}` }));
  callerWith = (scope = "parts:read parts:write") => callerFor({ scope });
  callerAs = (clientId) => callerFor({ scope: "parts:read parts:write", client_id: clientId, sub: clientId });
});

afterAll(async () => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
  await issuer.close();
});

beforeEach(() => {
  database.sqlite.exec("delete from parts");
  events.length = 0;
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

// The audit trail through the procedures: the acting client comes from the verified token only, list filters by
// it, and every successful write (and only those) reaches the `audit` hook.

const numberedPart = (n: number, modelNumber = "M-1") => ({ partNumber: `PN-${n}`, modelNumber, name: `Part ${n}` });

const fieldErrors = (error: TRPCError) => (error.cause as unknown as { issues: { path: PropertyKey[] }[] }).issues.map((issue) => issue.path.join("."));

describe("createdBy and updatedBy", () => {
  it("come from the caller's token: create sets both, update sets updatedBy", async () => {
    const created = await (await callerAs("inventory-sync")).parts.create(numberedPart(1));
    expect(created).toMatchObject({ createdBy: "inventory-sync", updatedBy: "inventory-sync" });
    const updated = await (await callerAs("catalogue-editor")).parts.update({ id: created.id, name: "Renamed" });
    expect(updated).toMatchObject({ createdBy: "inventory-sync", updatedBy: "catalogue-editor", version: 2 });
    expect(await (await callerAs("reader")).parts.byId({ id: created.id })).toEqual(updated);
  });

  it("cannot be set by input: create and update refuse them as unknown fields (strict objects) and write nothing", async () => {
    const caller = await callerAs("honest-client");
    const onCreate = await trpcError(caller.parts.create({ ...numberedPart(1), createdBy: "someone-else", updatedBy: "x" } as never));
    expect(onCreate.code).toBe("BAD_REQUEST");
    expect(onCreate.message).toMatch(/createdBy/);
    const part = await caller.parts.create(numberedPart(2));
    const onUpdate = await trpcError(caller.parts.update({ id: part.id, name: "x", updatedBy: "someone-else" } as never));
    expect(onUpdate.code).toBe("BAD_REQUEST");
    expect(onUpdate.message).toMatch(/updatedBy/);
    expect(await caller.parts.byId({ id: part.id })).toEqual(part);
    expect(database.sqlite.prepare("select count(*) from parts where created_by <> 'honest-client'").pluck().get()).toBe(0);
  });

  it("list filters by them exactly, together with modelNumber, q and the cursor", async () => {
    const a = await callerAs("client-a");
    const b = await callerAs("client-b");
    for (let n = 1; n <= 6; n++) await (n % 2 ? a : b).parts.create(numberedPart(n, n <= 3 ? "LOW" : "HIGH"));
    await b.parts.update({ id: (await a.parts.list({ createdBy: "client-a", limit: 1 })).items[0]!.id, name: "Touched" });
    const ids = async (input: Parameters<typeof a.parts.list>[0]) => (await a.parts.list(input)).items.map((p) => p.partNumber);
    expect(await ids({ createdBy: "client-a" })).toEqual(["PN-1", "PN-3", "PN-5"]);
    expect(await ids({ updatedBy: "client-b" })).toEqual(["PN-1", "PN-2", "PN-4", "PN-6"]);
    expect(await ids({ createdBy: "client-a", modelNumber: "HIGH" })).toEqual(["PN-5"]);
    expect(await ids({ createdBy: "client-a", updatedBy: "client-b", q: "touch" })).toEqual(["PN-1"]);
    expect(await ids({ createdBy: " client-a " })).toEqual(["PN-1", "PN-3", "PN-5"]);
    expect(await ids({ createdBy: "CLIENT-A" })).toEqual([]);
    const first = await a.parts.list({ createdBy: "client-a", limit: 2 });
    expect(first.items.map((p) => p.partNumber)).toEqual(["PN-1", "PN-3"]);
    expect(await ids({ createdBy: "client-a", limit: 2, cursor: first.nextCursor! })).toEqual(["PN-5"]);
  });

  it.each([
    ["createdBy", { createdBy: "" }],
    ["createdBy", { createdBy: "   " }],
    ["updatedBy", { updatedBy: "x".repeat(requestLimits.maxClientIdLength + 1) }],
    ["updatedBy", { updatedBy: "client\u0000a" }],
    ["createdBy", { createdBy: 7 }],
  ])("list refuses a bad %s filter with a field error", async (field, input) => {
    const error = await trpcError((await callerAs("client-a")).parts.list(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(fieldErrors(error)).toEqual([field]);
  });
});

describe("the audit hook", () => {
  it("gets client id, procedure, part id and version after each successful write", async () => {
    const a = await callerAs("client-a");
    const part = await a.parts.create(numberedPart(1));
    await (await callerAs("client-b")).parts.update({ id: part.id, name: "x", expectedVersion: 1 });
    await a.parts.delete({ id: part.id });
    expect(events).toEqual([
      { clientId: "client-a", procedure: "parts.create", partId: part.id, version: 1 },
      { clientId: "client-b", procedure: "parts.update", partId: part.id, version: 2 },
      { clientId: "client-a", procedure: "parts.delete", partId: part.id, version: 2 },
    ]);
  });

  it("is not called for refused, failed or empty writes, nor for reads", async () => {
    const a = await callerAs("client-a");
    const part = await a.parts.create(numberedPart(1));
    events.length = 0;
    await trpcError(a.parts.create(numberedPart(1))); // duplicate part number
    await trpcError(a.parts.update({ id: part.id, name: "x", expectedVersion: 9 })); // stale version
    await trpcError(a.parts.update({ id: 999_999, name: "x" })); // no such part
    await trpcError(a.parts.delete({ id: 999_999 }));
    await trpcError(a.parts.create({ ...numberedPart(2), name: "" })); // invalid input
    await a.parts.update({ id: part.id }); // empty patch: nothing written
    await a.parts.list();
    await a.parts.byId({ id: part.id });
    expect(events).toEqual([]);
  });
});
