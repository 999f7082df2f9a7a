// Type-level specification: these lines are checked by `tsc --noEmit`; the calls are never executed.
import { describe, expectTypeOf, it } from "vitest";
import { createPartsClient, type PartsClient } from "./client.ts";
import { createTokenProvider } from "./token-provider.ts";

function typeChecks(parts: PartsClient) {
  expectTypeOf(parts.parts.byId.query).parameter(0).toEqualTypeOf<{ id: number }>();
  expectTypeOf(parts.parts.byId.query({ id: 1 })).resolves.toHaveProperty("partNumber").toEqualTypeOf<string>();
  expectTypeOf(parts.parts.list.query()).resolves.toHaveProperty("nextCursor").toEqualTypeOf<string | null>();
  expectTypeOf(parts.parts.delete.mutate({ id: 1 })).resolves.toEqualTypeOf<{ id: number }>();

  // @ts-expect-error id must be a number
  void parts.parts.byId.query({ id: "1" });
  // @ts-expect-error misspelled procedure
  void parts.parts.byID.query({ id: 1 });
  // @ts-expect-error create is a mutation, not a query
  void parts.parts.create.query({ partNumber: "P", modelNumber: "M", name: "N" });
  // @ts-expect-error name is required
  void parts.parts.create.mutate({ partNumber: "P", modelNumber: "M" });
  // @ts-expect-error unknown field (the server's schemas are strict)
  void parts.parts.update.mutate({ id: 1, colour: "red" });
  // @ts-expect-error limit is a number
  void parts.parts.list.query({ limit: "10" });
}

function configChecks() {
  // @ts-expect-error credentials are required: a secret or a private key
  createPartsClient({ url: "u", issuer: "i", clientId: "c" });
  // @ts-expect-error not both a secret and a private key
  createTokenProvider({ issuer: "i", clientId: "c", clientSecret: "s", privateKey: {} as CryptoKey });
}

describe("types", () => {
  it("are checked by tsc --noEmit", () => {
    expectTypeOf(typeChecks).toBeFunction();
    expectTypeOf(configChecks).toBeFunction();
  });
});
