/**
 * A full disk must fail the write, never acknowledge it. Needs root (mounts a 1 MiB tmpfs), as CI has.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./connection.ts";
import { createPartsRepository } from "./parts-repository.ts";

const mounts: string[] = [];
const handles: { close(): void }[] = [];

/** A fresh 1 MiB tmpfs: a disk that fills up after ~100 rows of 10 KB. */
function smallDisk(): string {
  const dir = mkdtempSync(join(tmpdir(), "parts-db-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}
afterAll(() => {
  for (const handle of handles) handle.close();
  for (const dir of mounts) {
    execFileSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("parts repository on a full disk", () => {
  it("rejects creates once the disk is full, and every create it acknowledged is stored", async () => {
    const file = join(smallDisk(), "parts.db");
    const handle = openDatabase(file);
    handles.push(handle);
    const repository = createPartsRepository(handle.db);
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    for (let i = 0; i < 300 && failures.length < 5; i++) {
      const partNumber = `FULL-${i}`;
      try {
        await repository.create({ partNumber, modelNumber: "M", name: "x", description: "d".repeat(10_000) }, { by: "client-1" });
        acknowledged.push(partNumber);
      } catch (error) {
        failures.push(error);
      }
    }
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(failures.length).toBe(5);
    expect((failures[0] as { code?: string }).code).toMatch(/^SQLITE_(FULL|IOERR)/);
    handle.close();

    const sqlite = new Database(file, { readonly: true });
    const stored = new Set(sqlite.prepare("select part_number from parts").pluck().all() as string[]);
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    sqlite.close();
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);
  });

  it("rejects updates and deletes that cannot be committed", async () => {
    const file = join(smallDisk(), "parts.db");
    const handle = openDatabase(file);
    handles.push(handle);
    const repository = createPartsRepository(handle.db);
    const first = await repository.create({ partNumber: "UPD-1", modelNumber: "M", name: "before" }, { by: "client-1" });
    // Fill the disk with other rows until a write fails.
    for (let i = 0; i < 300; i++) {
      try {
        await repository.create({ partNumber: `FILL-${i}`, modelNumber: "M", name: "x", description: "d".repeat(10_000) }, { by: "client-1" });
      } catch {
        break;
      }
    }
    // The update (with a large description) and the delete either throw or are stored.
    let updated = false;
    try {
      await repository.update(first.id, { description: "u".repeat(20_000) }, { by: "client-1" });
      updated = true;
    } catch (error) {
      expect((error as { code?: string }).code).toMatch(/^SQLITE_(FULL|IOERR)/);
    }
    handle.close();
    const sqlite = new Database(file, { readonly: true });
    const description = sqlite.prepare("select description from parts where id = ?").pluck().get(first.id) as string | null;
    sqlite.close();
    expect(description === "u".repeat(20_000)).toBe(updated);
  });
});
