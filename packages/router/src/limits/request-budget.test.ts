import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { enforceRequestBudget, requestCost, type PendingCall } from "./request-budget.ts";
import { requestLimits } from "./request-limits.ts";

function call(path: string, input?: unknown): PendingCall & { reads: number } {
  const pending = {
    path,
    reads: 0,
    getRawInput: async () => {
      pending.reads++;
      return input;
    },
  };
  return pending;
}

const list = (input?: unknown) => call("parts.list", input);

async function refusal(calls: PendingCall[]): Promise<TRPCError | undefined> {
  try {
    await enforceRequestBudget(calls);
    return undefined;
  } catch (error) {
    return error as TRPCError;
  }
}

describe("request cost", () => {
  it("counts each list call at its limit (schema default 20) and every other call as one row", async () => {
    expect(await requestCost([list({ limit: 100 }), list(), list({}), call("parts.byId", { id: 1 }), call("parts.create")])).toEqual({
      rows: 100 + 20 + 20 + 1 + 1,
      searches: 0,
    });
  });

  it("counts a list call the schema will refuse as nothing (it fails validation before the database)", async () => {
    const bad = [list({ limit: 1000 }), list({ limit: "5" }), list("text"), list({ limit: 0 })];
    expect(await requestCost(bad)).toEqual({ rows: 0, searches: 0 });
  });

  it("counts searches", async () => {
    expect((await requestCost([list({ q: "bolt", limit: 1 }), list({ q: "nut" }), list()])).searches).toBe(2);
  });

  it("treats unreadable input as costing nothing, leaving the error to the call", async () => {
    const broken: PendingCall = { path: "parts.list", getRawInput: () => Promise.reject(new Error("bad JSON")) };
    expect(await requestCost([broken])).toEqual({ rows: 0, searches: 0 });
  });
});

describe("enforceRequestBudget", () => {
  it("returns no promise and reads no input for requests without list calls", () => {
    const calls = Array.from({ length: requestLimits.maxBatchCalls }, (_, id) => call("parts.byId", { id }));
    expect(requestLimits.maxBatchCalls).toBeLessThanOrEqual(requestLimits.maxRowsPerRequest);
    expect(enforceRequestBudget(calls)).toBeUndefined();
    expect(calls.every((c) => c.reads === 0)).toBe(true);
  });

  it("accepts a request exactly at the row budget", async () => {
    const pages = Array.from({ length: requestLimits.maxRowsPerRequest / 50 }, () => list({ limit: 50 }));
    expect(await refusal(pages)).toBeUndefined();
  });

  it("refuses 50 pages of 100 rows with 413 PAYLOAD_TOO_LARGE naming the limit", async () => {
    const error = await refusal(Array.from({ length: 50 }, () => list({ limit: 100 })));
    expect(error).toBeInstanceOf(TRPCError);
    expect(error!.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error!.message).toContain(`could return 5000 rows; one request may return at most ${requestLimits.maxRowsPerRequest}`);
  });

  it("refuses one row over the budget", async () => {
    const error = await refusal([list({ limit: requestLimits.maxRowsPerRequest }), call("parts.byId", { id: 1 })]);
    expect(error?.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses more searches than allowed even when each asks for one row", async () => {
    const searches = Array.from({ length: requestLimits.maxSearchesPerRequest + 1 }, () => list({ q: "x".repeat(200), limit: 1 }));
    const error = await refusal(searches);
    expect(error?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error!.message).toContain(`at most ${requestLimits.maxSearchesPerRequest} list calls with q`);
    expect(await refusal(searches.slice(1))).toBeUndefined();
  });
});
