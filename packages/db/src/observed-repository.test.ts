import { describe, expect, it } from "vitest";
import { repositoryOf, type EngineMethods, type QueryObserver, type RepositoryOperation } from "./observed-repository.ts";
import type { Part } from "./parts-contract.ts";

const part = { id: 1, partNumber: "P-1" } as Part;
const broken = new Error("disk I/O error");

/** An engine whose reads answer at once (as SQLite's do) and whose writes answer with a promise. */
const engine: EngineMethods = {
  list: (query) => ({ items: query.limit > 0 ? [part] : [], nextAfterId: null }),
  byId: (id) => {
    if (id < 0) throw broken;
    return id === 1 ? part : undefined;
  },
  create: async () => part,
  update: async () => Promise.reject(broken),
  delete: async (id, condition = {}) => ({ id, version: condition.expectedVersion ?? 1 }),
};

function observer() {
  const calls: [RepositoryOperation, boolean][] = [];
  const durations: number[] = [];
  const observe: QueryObserver = (operation, seconds, failed) => {
    calls.push([operation, failed]);
    durations.push(seconds);
  };
  return { calls, durations, observe };
}

describe("repositoryOf", () => {
  it("observes an answer given at once before the call returns, with no promise work", async () => {
    const { calls, durations, observe } = observer();
    const repository = repositoryOf(engine, observe);
    const answer = repository.byId(1);
    expect(calls).toEqual([["byId", false]]);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(part);
    expect(durations[0]).toBeGreaterThanOrEqual(0);
    expect(durations[0]).toBeLessThan(1);
  });

  it("turns a synchronous throw into a rejection and observes it as failed", async () => {
    const { calls, observe } = observer();
    const answer = repositoryOf(engine, observe).byId(-1);
    expect(calls).toEqual([["byId", true]]);
    await expect(answer).rejects.toBe(broken);
  });

  it("observes a promise when it settles, fulfilled or rejected, and hands the caller that same promise", async () => {
    const { calls, observe } = observer();
    const repository = repositoryOf(engine, observe);
    const created = repository.create({ partNumber: "P-1", modelNumber: "M", name: "n" }, { by: "c" });
    expect(calls).toEqual([]);
    expect(await created).toBe(part);
    const updated = repository.update(1, { name: "x" }, { by: "c" });
    await expect(updated).rejects.toBe(broken);
    await Promise.resolve();
    expect(calls).toEqual([
      ["create", false],
      ["update", true],
    ]);
    const promise = Promise.resolve(part);
    const same = { ...engine, create: () => promise };
    expect(repositoryOf(same, observe).create({ partNumber: "P-1", modelNumber: "M", name: "n" }, { by: "c" })).toBe(promise);
    expect(repositoryOf(same, undefined).create({ partNumber: "P-1", modelNumber: "M", name: "n" }, { by: "c" })).toBe(promise);
  });

  it("passes every argument through, up to three, and keeps the engine's defaults", async () => {
    const { observe } = observer();
    for (const repository of [repositoryOf(engine, observe), repositoryOf(engine, undefined)]) {
      expect(await repository.delete(5)).toEqual({ id: 5, version: 1 });
      expect(await repository.delete(5, { expectedVersion: 3 })).toEqual({ id: 5, version: 3 });
      expect(await repository.list({ limit: 0 })).toEqual({ items: [], nextAfterId: null });
    }
  });

  it("without an observer, still answers every method with a promise and rejects a synchronous throw", async () => {
    const repository = repositoryOf(engine, undefined);
    const answer = repository.byId(1);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(part);
    await expect(repository.byId(-1)).rejects.toBe(broken);
  });
});
