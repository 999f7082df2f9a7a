import { DatabaseError, fieldsSet, UniqueConstraintError, VersionConflictError } from "@parts/db";
import { TRPCError } from "@trpc/server";
import { Scopes } from "../auth/scopes.ts";
import { encodeCursor } from "../schemas/cursor.ts";
import { CreatePartInput, DeletePartInput, ListPartsInput, PartIdInput, UpdatePartInput } from "../schemas/part.ts";
import { router, scopedProcedure } from "../trpc.ts";

const readProcedure = scopedProcedure(Scopes.read);
const writeProcedure = scopedProcedure(Scopes.write);

function notFound(id: number): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `no part with id ${id}` });
}

/**
 * The repository's failures as API errors: a duplicate part number is CONFLICT, and so is an `expectedVersion`
 * the part no longer has (its message names the current version and nothing else); a database that cannot serve
 * now (connection refused or lost, pool exhausted, server shutting down) is SERVICE_UNAVAILABLE, answered
 * with 503 and `Retry-After` (http.ts) instead of a 500. Anything else propagates (a 500, logged).
 */
function storeError(error: unknown): never {
  if (error instanceof UniqueConstraintError) {
    throw new TRPCError({ code: "CONFLICT", message: `a part with this ${error.field} already exists`, cause: error });
  }
  if (error instanceof VersionConflictError) {
    throw new TRPCError({ code: "CONFLICT", message: `${error.message}; read it again and retry`, cause: error });
  }
  if (error instanceof DatabaseError && error.code === "ERR_DATABASE_UNAVAILABLE") {
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the database is unavailable; retry later", cause: error });
  }
  throw error;
}

export const partsRouter = router({
  list: readProcedure.input(ListPartsInput.prefault({})).query(async ({ ctx, input: { cursor, ...filters } }) => {
    const page = await ctx.parts.list({ ...filters, afterId: cursor }).catch(storeError);
    return { items: page.items, nextCursor: page.nextAfterId === null ? null : encodeCursor(page.nextAfterId) };
  }),

  byId: readProcedure.input(PartIdInput).query(async ({ ctx, input }) => {
    const part = await ctx.parts.byId(input.id).catch(storeError);
    if (part === undefined) throw notFound(input.id);
    return part;
  }),

  // The acting client is the verified token's (`ctx.auth`); the input schemas are strict, so no input names it.
  create: writeProcedure.input(CreatePartInput).mutation(async ({ ctx, input }) => {
    const part = await ctx.parts.create(input, { by: ctx.auth.clientId }).catch(storeError);
    ctx.audit?.({ clientId: ctx.auth.clientId, procedure: "parts.create", partId: part.id, version: part.version });
    return part;
  }),

  update: writeProcedure.input(UpdatePartInput).mutation(async ({ ctx, input: { id, expectedVersion, ...patch } }) => {
    const part = await ctx.parts.update(id, patch, { by: ctx.auth.clientId, expectedVersion }).catch(storeError);
    if (part === undefined) throw notFound(id);
    // An empty patch writes nothing (the part comes back unchanged): nothing to audit.
    if (Object.keys(fieldsSet(patch)).length > 0) {
      ctx.audit?.({ clientId: ctx.auth.clientId, procedure: "parts.update", partId: part.id, version: part.version });
    }
    return part;
  }),

  delete: writeProcedure.input(DeletePartInput).mutation(async ({ ctx, input }) => {
    const deleted = await ctx.parts.delete(input.id, { expectedVersion: input.expectedVersion }).catch(storeError);
    if (deleted === undefined) throw notFound(input.id);
    ctx.audit?.({ clientId: ctx.auth.clientId, procedure: "parts.delete", partId: deleted.id, version: deleted.version });
    return { id: deleted.id };
  }),
});
