import { TRPCError } from "@trpc/server";
import { ListPartsInput } from "../schemas/part.ts";
import { requestLimits } from "./request-limits.ts";

/** One call of a request as the HTTP layer knows it before any procedure runs (tRPC's `info.calls`). */
export interface PendingCall {
  path: string;
  getRawInput(): Promise<unknown>;
}

export interface RequestCost {
  rows: number;
  searches: number;
}

const listPath = "parts.list";
const { maxRowsPerRequest, maxSearchesPerRequest } = requestLimits;

/**
 * The most a `parts.list` call can return, read from its raw input with the schema's own default and bounds.
 * An input the schema will refuse costs nothing: the call fails validation before touching the database.
 */
function listCost(rawInput: unknown): RequestCost {
  // A missing input gets the schema's defaults; null or a non-object is refused by the schema.
  const input = (rawInput === undefined ? {} : rawInput) as { limit?: unknown; q?: unknown } | null;
  if (typeof input !== "object" || input === null) return { rows: 0, searches: 0 };
  const limit = ListPartsInput.shape.limit.safeParse(input.limit);
  return { rows: limit.success ? limit.data : 0, searches: typeof input.q === "string" ? 1 : 0 };
}

/** Unreadable input is reported by the call itself (the same 400 as without a budget); it costs nothing here. */
async function rawInputOf(call: PendingCall): Promise<unknown> {
  try {
    return await call.getRawInput();
  } catch {
    return null;
  }
}


/** The upper bound of what the calls can return, from their raw inputs. Only list inputs are read. */
export async function requestCost(calls: readonly PendingCall[]): Promise<RequestCost> {
  const cost: RequestCost = { rows: 0, searches: 0 };
  for (const call of calls) {
    const { rows, searches } = call.path === listPath ? listCost(await rawInputOf(call)) : { rows: 1, searches: 0 };
    cost.rows += rows;
    cost.searches += searches;
  }
  return cost;
}

/**
 * Refuses, before any procedure runs, a request that could return more rows or run more searches than one
 * request may: each call of a batch is cheap, but fifty of them were not. Every call of a refused request gets
 * the same 413 PAYLOAD_TOO_LARGE naming the limit. Returns undefined when there is nothing to wait for.
 */
export function enforceRequestBudget(calls: readonly PendingCall[]): Promise<void> | undefined {
  // Calls other than list return one row each: no input to read, and no promise on the hot path.
  if (calls.length <= maxRowsPerRequest && !calls.some((call) => call.path === listPath)) return undefined;
  return requestCost(calls).then(refuseOverBudget);
}

function refuseOverBudget(cost: RequestCost): void {
  if (cost.rows > maxRowsPerRequest) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `this request could return ${cost.rows} rows; one request may return at most ${maxRowsPerRequest} (the sum of its list limits, plus 1 per other call): use fewer or smaller pages`,
    });
  }
  if (cost.searches > maxSearchesPerRequest) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `this request runs ${cost.searches} searches; one request may run at most ${maxSearchesPerRequest} list calls with q`,
    });
  }
}
