/**
 * What one request may cost, in one place: the HTTP host enforces the transport limits, the router the
 * budget (`request-budget.ts`) and the input schemas the per-field limits. SECURITY.md lists each.
 */
export const requestLimits = {
  /** Request body size; larger bodies are refused with 413 before they are parsed. */
  maxBodyBytes: 1024 * 1024,
  /** Calls in one batch; more are refused with 400 before any runs. */
  maxBatchCalls: 50,
  /**
   * Rows one request may return in total: the sum of its list calls' limits plus one per other call. One full
   * page: a batch may not multiply what a single call may return.
   */
  maxRowsPerRequest: 100,
  /** `parts.list` calls with `q` in one request. */
  maxSearchesPerRequest: 5,
  /** Rows per list page. */
  maxPageSize: 100,
  /** `q` length in characters: trigram search needs 3; 100 covers any part number, name or phrase. */
  minSearchLength: 3,
  maxSearchLength: 100,
  /** A `createdBy` / `updatedBy` filter: client ids are issuer-made (UUIDs here, 20–64 characters at common issuers). */
  maxClientIdLength: 255,
} as const;
