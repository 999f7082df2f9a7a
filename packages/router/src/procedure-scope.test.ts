import { describe, expect, it } from "vitest";
import { createCallerFactory } from "./trpc.ts";
import { appRouter } from "./root.ts";
import { procedureScope } from "./procedure-scope.ts";
import { Scopes } from "./auth/scopes.ts";
import type { Context } from "./context.ts";
import type { Principal } from "./auth/verifier.ts";

function contextWith(scopes: string[]): Context {
  const principal: Principal = { clientId: "c", subject: "c", scopes, expiresAt: Date.now() / 1000 + 60 };
  return {
    parts: { byId: async () => undefined } as unknown as Context["parts"],
    facts: {},
    authenticate: async () => principal,
  };
}

describe("procedureScope", () => {
  it("names the scope of every parts procedure and none for public or unknown paths", () => {
    expect(procedureScope("parts.list")).toBe(Scopes.read);
    expect(procedureScope("parts.byId")).toBe(Scopes.read);
    expect(procedureScope("parts.create")).toBe(Scopes.write);
    expect(procedureScope("parts.update")).toBe(Scopes.write);
    expect(procedureScope("parts.delete")).toBe(Scopes.write);
    expect(procedureScope("health")).toBeUndefined();
    expect(procedureScope("parts.nope")).toBeUndefined();
  });

  it("is the scope the procedure's own check demands", async () => {
    const caller = createCallerFactory(appRouter);
    const other = procedureScope("parts.byId") === Scopes.read ? Scopes.write : Scopes.read;
    await expect(caller(contextWith([other])).parts.byId({ id: 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller(contextWith([procedureScope("parts.byId")!])).parts.byId({ id: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
