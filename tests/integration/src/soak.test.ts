/**
 * Bounded soak: mixed reads and writes from many clients over loopback against the real server process.
 * Short mode (6 s) runs inside `pnpm test`; `pnpm --filter @parts/integration-tests soak` runs 60 s
 * (SOAK_SECONDS overrides). Asserts zero errors, no RSS growth trend, every acknowledged write readable.
 */
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

const seconds = Number(process.env.SOAK_SECONDS ?? 6);
const clients = 16;

let issuer: FakeIssuer;
let server: ServerProcess;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  server = await startServer({ issuer: issuer.issuer });
});
afterAll(async () => {
  await disposeServer(server);
  await issuer.close();
});

describe(`soak (${seconds} s, ${clients} clients)`, () => {
  it("zero errors, stable memory, every acknowledged write readable afterwards", { timeout: (seconds + 60) * 1000 }, async () => {
    const tokens = await Promise.all(Array.from({ length: clients }, (_, c) => issuer.sign({ client_id: `soak-${c}`, sub: `soak-${c}` }, { expiresIn: seconds + 600 })));
    const deadline = Date.now() + seconds * 1000;
    const acknowledged = new Map<number, string>();
    const errors: string[] = [];
    let requests = 0;
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(server.rss()), 250);

    const worker = async (c: number) => {
      const token = tokens[c]!;
      for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
        const op = i % 5;
        let result;
        if (op === 0) {
          const partNumber = `SOAK-${c}-${i}`;
          result = await call(server.url, "mutation", "parts.create", { partNumber, modelNumber: `M-${c % 4}`, name: partNumber }, token);
          if (result.status === 200) acknowledged.set(result.body.result.data.id, partNumber);
        } else if (op === 1) {
          result = await call(server.url, "query", "parts.list", { modelNumber: `M-${c % 4}`, limit: 20 }, token);
        } else if (op === 2 && acknowledged.size > 0) {
          const ids = [...acknowledged.keys()];
          result = await call(server.url, "query", "parts.byId", { id: ids[i % ids.length] }, token);
        } else {
          result = await call(server.url, "query", "parts.list", { q: `SOAK-${c}-`, limit: 5 }, token);
        }
        requests++;
        if (result.status !== 200) errors.push(`${result.status} ${JSON.stringify(result.body).slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, c) => worker(c)));
    clearInterval(sampler);

    expect(errors).toEqual([]);
    expect(requests).toBeGreaterThan(clients * 10);
    expect(server.alive()).toBe(true);

    // No growth trend: after warm-up, the last third of the samples is not markedly above the middle third.
    const warm = rss.slice(Math.floor(rss.length / 3));
    const half = Math.floor(warm.length / 2);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = mean(warm.slice(0, half));
    const late = mean(warm.slice(half));
    console.log(
      `soak: ${requests} requests in ${seconds} s (${Math.round(requests / seconds)}/s), ${acknowledged.size} writes, ` +
        `RSS min ${(Math.min(...rss) / 2 ** 20).toFixed(1)} MiB, max ${(Math.max(...rss) / 2 ** 20).toFixed(1)} MiB, ` +
        `mean early ${(early / 2 ** 20).toFixed(1)} MiB → late ${(late / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(late).toBeLessThan(early * 1.25 + 8 * 2 ** 20);

    // Every acknowledged write is readable afterwards.
    const reader = tokens[0]!;
    const missing: number[] = [];
    const ids = [...acknowledged.keys()];
    for (let i = 0; i < ids.length; i += 50) {
      const batch = ids.slice(i, i + 50);
      const found = await Promise.all(batch.map((id) => call(server.url, "query", "parts.byId", { id }, reader)));
      found.forEach((r, j) => {
        if (r.status !== 200 || r.body.result.data.partNumber !== acknowledged.get(batch[j]!)) missing.push(batch[j]!);
      });
    }
    expect(missing).toEqual([]);
  });
});
