import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { describe, expectTypeOf, it } from "vitest";
import type { AppRouter, RouterOutputs } from "./index.ts";
import type { Part } from "./schemas/part.ts";
import type { Part as PartRow } from "@parts/db";

// Never called: these assertions are checked by the compiler (`tsc --noEmit` and vitest's typecheck).
const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:1/trpc" })] });

describe("AppRouter types", () => {
  it("accepts the correct create shape and rejects wrong types", () => {
    expectTypeOf(client.parts.create.mutate).toBeCallableWith({ partNumber: "P", modelNumber: "M", name: "N" });
    expectTypeOf(client.parts.create.mutate).toBeCallableWith({ partNumber: "P", modelNumber: "M", name: "N", description: null });
    // @ts-expect-error partNumber must be a string
    expectTypeOf(client.parts.create.mutate).toBeCallableWith({ partNumber: 1, modelNumber: "M", name: "N" });
    // @ts-expect-error name is required
    expectTypeOf(client.parts.create.mutate).toBeCallableWith({ partNumber: "P", modelNumber: "M" });
    // @ts-expect-error misspelled procedure
    void client.parts.creat;
  });

  it("types outputs from the database row, matching the exported zod schema", () => {
    expectTypeOf<RouterOutputs["parts"]["byId"]>().toEqualTypeOf<PartRow>();
    expectTypeOf<Part>().toEqualTypeOf<PartRow>();
    expectTypeOf<RouterOutputs["parts"]["list"]["nextCursor"]>().toEqualTypeOf<string | null>();
    expectTypeOf<RouterOutputs["parts"]["delete"]>().toEqualTypeOf<{ id: number }>();
  });
});
