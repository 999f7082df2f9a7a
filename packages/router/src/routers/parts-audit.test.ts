import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, openDatabase, type DatabaseHandle } from "@parts/db";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../auth/verifier.ts";
import { createContext, type AuditEvent } from "../context.ts";
import { requestLimits } from "../limits/request-limits.ts";
import { appRouter } from "../root.ts";
import { createCallerFactory } from "../trpc.ts";

// The audit trail through the procedures: the acting client comes from the verified token only, list filters by
// it, and every successful write (and only those) reaches the `audit` hook.

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
const events: AuditEvent[] = [];
const createCaller = createCallerFactory(appRouter);
let callerAs: (clientId: string) => Promise<ReturnType<typeof createCaller>>;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
  dir = mkdtempSync(join(tmpdir(), "parts-router-audit-"));
  database = openDatabase(join(dir, "parts.db"));
  const parts = createPartsRepository(database.db);
  const audit = (event: AuditEvent) => events.push(event);
  callerAs = async (clientId) => {
    const token = await issuer.sign({ scope: "parts:read parts:write", client_id: clientId, sub: clientId });
    return createCaller(createContext({ verifier, parts, audit }, { authorization: `Bearer ${token}` }));
  };
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

const newPart = (n: number, modelNumber = "M-1") => ({ partNumber: `PN-${n}`, modelNumber, name: `Part ${n}` });

async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const fieldErrors = (error: TRPCError) => (error.cause as unknown as { issues: { path: PropertyKey[] }[] }).issues.map((issue) => issue.path.join("."));

describe("createdBy and updatedBy", () => {
  it("come from the caller's token: create sets both, update sets updatedBy", async () => {
    const created = await (await callerAs("inventory-sync")).parts.create(newPart(1));
    expect(created).toMatchObject({ createdBy: "inventory-sync", updatedBy: "inventory-sync" });
    const updated = await (await callerAs("catalogue-editor")).parts.update({ id: created.id, name: "Renamed" });
    expect(updated).toMatchObject({ createdBy: "inventory-sync", updatedBy: "catalogue-editor", version: 2 });
    expect(await (await callerAs("reader")).parts.byId({ id: created.id })).toEqual(updated);
  });

  it("cannot be set by input: create and update refuse them as unknown fields (strict objects) and write nothing", async () => {
    const caller = await callerAs("honest-client");
    const onCreate = await trpcError(caller.parts.create({ ...newPart(1), createdBy: "someone-else", updatedBy: "x" } as never));
    expect(onCreate.code).toBe("BAD_REQUEST");
    expect(onCreate.message).toMatch(/createdBy/);
    const part = await caller.parts.create(newPart(2));
    const onUpdate = await trpcError(caller.parts.update({ id: part.id, name: "x", updatedBy: "someone-else" } as never));
    expect(onUpdate.code).toBe("BAD_REQUEST");
    expect(onUpdate.message).toMatch(/updatedBy/);
    expect(await caller.parts.byId({ id: part.id })).toEqual(part);
    expect(database.sqlite.prepare("select count(*) from parts where created_by <> 'honest-client'").pluck().get()).toBe(0);
  });

  it("list filters by them exactly, together with modelNumber, q and the cursor", async () => {
    const a = await callerAs("client-a");
    const b = await callerAs("client-b");
    for (let n = 1; n <= 6; n++) await (n % 2 ? a : b).parts.create(newPart(n, n <= 3 ? "LOW" : "HIGH"));
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
    const part = await a.parts.create(newPart(1));
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
    const part = await a.parts.create(newPart(1));
    events.length = 0;
    await trpcError(a.parts.create(newPart(1))); // duplicate part number
    await trpcError(a.parts.update({ id: part.id, name: "x", expectedVersion: 9 })); // stale version
    await trpcError(a.parts.update({ id: 999_999, name: "x" })); // no such part
    await trpcError(a.parts.delete({ id: 999_999 }));
    await trpcError(a.parts.create({ ...newPart(2), name: "" })); // invalid input
    await a.parts.update({ id: part.id }); // empty patch: nothing written
    await a.parts.list();
    await a.parts.byId({ id: part.id });
    expect(events).toEqual([]);
  });
});
