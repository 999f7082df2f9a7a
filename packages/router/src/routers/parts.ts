import { UniqueConstraintError } from "@parts/db";
import { TRPCError } from "@trpc/server";
import { Scopes } from "../auth/scopes.ts";
import { encodeCursor } from "../schemas/cursor.ts";
import { CreatePartInput, ListPartsInput, PartIdInput, UpdatePartInput } from "../schemas/part.ts";
import { router, scopedProcedure } from "../trpc.ts";

const readProcedure = scopedProcedure(Scopes.read);
const writeProcedure = scopedProcedure(Scopes.write);

function notFound(id: number): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `no part with id ${id}` });
}

function conflictOr(error: unknown): never {
  if (error instanceof UniqueConstraintError) {
    throw new TRPCError({ code: "CONFLICT", message: `a part with this ${error.field} already exists`, cause: error });
  }
  throw error;
}

export const partsRouter = router({
  list: readProcedure.input(ListPartsInput.prefault({})).query(async ({ ctx, input }) => {
    const page = await ctx.parts.list({
      limit: input.limit,
      afterId: input.cursor,
      q: input.q,
      modelNumber: input.modelNumber,
    });
    return { items: page.items, nextCursor: page.nextAfterId === null ? null : encodeCursor(page.nextAfterId) };
  }),

  byId: readProcedure.input(PartIdInput).query(async ({ ctx, input }) => {
    return (await ctx.parts.byId(input.id)) ?? Promise.reject(notFound(input.id));
  }),

  create: writeProcedure.input(CreatePartInput).mutation(async ({ ctx, input }) => {
    return ctx.parts.create(input).catch(conflictOr);
  }),

  update: writeProcedure.input(UpdatePartInput).mutation(async ({ ctx, input: { id, ...patch } }) => {
    return (await ctx.parts.update(id, patch).catch(conflictOr)) ?? Promise.reject(notFound(id));
  }),

  delete: writeProcedure.input(PartIdInput).mutation(async ({ ctx, input }) => {
    const deleted = await ctx.parts.delete(input.id);
    if (deleted === undefined) throw notFound(input.id);
    return { id: deleted };
  }),
});
