import { VersionConflictError } from "./errors.ts";
import type { Part } from "./parts-contract.ts";

/**
 * What a conditional write (`… where id = ? and version = ?`) that changed no row means: the part is gone
 * (undefined, the caller's "not found") or at another version (`VersionConflictError`). The decision to write was
 * the statement's own, atomically; this read only tells the caller which version to re-read, so it may already
 * be older than the part by the time the caller sees it.
 */
export async function missedWrite(current: Part | undefined, expectedVersion: number): Promise<undefined> {
  if (current === undefined) return undefined;
  throw new VersionConflictError({ expectedVersion, currentVersion: current.version });
}

/** An empty patch writes nothing; with a condition it still answers as the write would have. */
export function checkedUnchanged(current: Part | undefined, expectedVersion: number | undefined): Part | undefined {
  if (current === undefined || expectedVersion === undefined || current.version === expectedVersion) return current;
  throw new VersionConflictError({ expectedVersion, currentVersion: current.version });
}
