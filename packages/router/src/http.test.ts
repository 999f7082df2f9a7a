import { DatabaseError } from "@parts/db";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { AuthError } from "./auth/errors.ts";
import { errorResponseHeaders } from "./http.ts";

const unavailable = () =>
  new TRPCError({ code: "SERVICE_UNAVAILABLE", cause: new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason: "ECONNREFUSED" }) });
const missingToken = () => new TRPCError({ code: "UNAUTHORIZED", cause: new AuthError("missing_token", "no token") });

describe("errorResponseHeaders", () => {
  it("adds nothing without errors, or for errors without a header", () => {
    expect(errorResponseHeaders([])).toEqual({});
    expect(errorResponseHeaders([new TRPCError({ code: "NOT_FOUND" })])).toEqual({});
    expect(errorResponseHeaders([new TRPCError({ code: "SERVICE_UNAVAILABLE", cause: new AuthError("issuer_unavailable", "keys not loaded") })])).toEqual({});
  });

  it("challenges the first authentication failure only", () => {
    const invalid = new TRPCError({ code: "UNAUTHORIZED", cause: new AuthError("invalid_token", "expired") });
    expect(errorResponseHeaders([missingToken(), invalid])).toEqual({ "www-authenticate": 'Bearer realm="parts"' });
  });

  it("asks for a retry after 1 s when the database was unavailable", () => {
    expect(errorResponseHeaders([unavailable()])).toEqual({ "retry-after": "1" });
    expect(errorResponseHeaders([missingToken(), unavailable()])).toEqual({ "www-authenticate": 'Bearer realm="parts"', "retry-after": "1" });
  });

  it("does not for other database failures", () => {
    const query = new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new DatabaseError({ code: "ERR_DATABASE_QUERY", sqlState: "42P01" }) });
    expect(errorResponseHeaders([query])).toEqual({});
  });
});
