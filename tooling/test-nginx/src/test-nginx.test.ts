import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNginxConfig, startNginx, type TestNginx } from "./test-nginx.ts";

/** A real HTTP server that says who it is and records what it was sent. */
interface Upstream {
  name: string;
  address: string;
  seen: { method: string; path: string; authorization: string | undefined; forwardedFor: string | undefined }[];
  /** Paths whose requests this upstream drops (connection destroyed, no answer), as a replica dying mid-request. */
  dropPaths: Set<string>;
  server: Server;
}

async function startUpstream(name: string): Promise<Upstream> {
  const upstream: Upstream = { name, address: "", seen: [], dropPaths: new Set(), server: createServer() };
  upstream.server.on("request", (req: IncomingMessage, res) => {
    req.resume();
    req.once("end", () => {
      const path = req.url ?? "";
      upstream.seen.push({
        method: req.method ?? "",
        path,
        authorization: req.headers.authorization,
        forwardedFor: req.headers["x-forwarded-for"] as string | undefined,
      });
      if (upstream.dropPaths.has(path)) {
        req.socket.destroy();
        return;
      }
      res.setHeader("content-type", "text/plain");
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, "127.0.0.1", resolve));
  const address = upstream.server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  upstream.address = `127.0.0.1:${address.port}`;
  return upstream;
}

let a: Upstream;
let b: Upstream;
let balancer: TestNginx;

beforeAll(async () => {
  [a, b] = await Promise.all([startUpstream("a"), startUpstream("b")]);
  balancer = await startNginx({ upstreams: [a.address, b.address] });
}, 30_000);

afterAll(async () => {
  await balancer?.stop();
  a?.server.close();
  b?.server.close();
});

async function withOwnPair(test: (pair: TestNginx, first: Upstream, second: Upstream) => Promise<void>): Promise<void> {
  const [first, second] = await Promise.all([startUpstream("first"), startUpstream("second")]);
  const pair = await startNginx({ upstreams: [first.address, second.address] });
  try {
    await test(pair, first, second);
  } finally {
    await pair.stop();
    first.server.close();
    second.server.close();
  }
}

const countBy = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});

describe("startNginx", () => {
  it("listens on loopback and spreads requests over every upstream", async () => {
    expect(new URL(balancer.url).hostname).toBe("127.0.0.1");
    const names = [];
    for (let i = 0; i < 6; i++) names.push(await (await fetch(`${balancer.url}/spread`)).text());
    expect(countBy(names)).toEqual({ a: 3, b: 3 });
  });

  it("passes the Authorization header and the client address on", async () => {
    const response = await fetch(`${balancer.url}/auth`, { headers: { authorization: "Bearer test-value" } });
    const name = await response.text();
    const upstream = name === "a" ? a : b;
    const seen = upstream.seen.find((s) => s.path === "/auth");
    expect(seen?.authorization).toBe("Bearer test-value");
    expect(seen?.forwardedFor).toBe("127.0.0.1");
  });

  // A dropped request counts against its upstream (max_fails): each of these tests has a balancer of its own.
  it("retries a GET on the other upstream when the first one drops it", async () => {
    await withOwnPair(async (pair, first) => {
      first.dropPaths.add("/get-dropped");
      const answers = [];
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${pair.url}/get-dropped`);
        answers.push(`${response.status} ${await response.text()}`);
      }
      expect(answers).toEqual(["200 second", "200 second"]);
      expect(first.seen.filter((s) => s.path === "/get-dropped")).toHaveLength(1);
    });
  }, 30_000);

  it("answers 502 after one try on each upstream when both drop a GET", async () => {
    await withOwnPair(async (pair, first, second) => {
      first.dropPaths.add("/get-dropped");
      second.dropPaths.add("/get-dropped");
      expect((await fetch(`${pair.url}/get-dropped`)).status).toBe(502);
      expect([...first.seen, ...second.seen].map((s) => s.path)).toEqual(["/get-dropped", "/get-dropped"]);
    });
  }, 30_000);

  it("never sends a POST that reached one upstream to the other (it may have been written there)", async () => {
    await withOwnPair(async (pair, first, second) => {
      first.dropPaths.add("/post-dropped");
      second.dropPaths.add("/post-dropped");
      expect((await fetch(`${pair.url}/post-dropped`, { method: "POST", body: "x" })).status).toBe(502);
      expect([...first.seen, ...second.seen].map((s) => `${s.method} ${s.path}`)).toEqual(["POST /post-dropped"]);
    });
  }, 30_000);

  it("sends every request, POSTs too, to the upstream that is left when the other refuses connections", async () => {
    const gone = await startUpstream("gone");
    const alive = await startUpstream("alive");
    await new Promise((resolve) => gone.server.close(resolve));
    const pair = await startNginx({ upstreams: [gone.address, alive.address] });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${pair.url}/write`, { method: i % 2 === 0 ? "POST" : "GET", body: i % 2 === 0 ? "x" : undefined });
        answers.push(`${response.status} ${await response.text()}`);
      }
      expect(answers).toEqual(["200 alive", "200 alive", "200 alive", "200 alive"]);
      expect(pair.errorLog()).toMatch(/Connection refused/);
    } finally {
      await pair.stop();
      alive.server.close();
    }
  }, 30_000);

  it("stop ends nginx and removes its folder", async () => {
    const other = await startNginx({ upstreams: [a.address] });
    const config = readFileSync(other.configFile, "utf8");
    expect(config).toContain(`server ${a.address} `);
    await other.stop();
    expect(existsSync(dirname(other.configFile))).toBe(false);
    await expect(fetch(`${other.url}/after-stop`)).rejects.toThrow();
  }, 30_000);

  it("listens on a given port, and fails loudly when that port is taken", async () => {
    const port = balancer.port;
    await expect(startNginx({ upstreams: [a.address], port })).rejects.toThrow(/Address already in use/);
    // A port that was free a moment ago (taken by the stopped upstream before): nginx listens there.
    const spare = await startUpstream("spare");
    await new Promise((resolve) => spare.server.close(resolve));
    const other = await startNginx({ upstreams: [a.address], port: Number(spare.address.split(":")[1]) });
    try {
      expect(other.url).toBe(`http://127.0.0.1:${spare.address.split(":")[1]}`);
      expect(await (await fetch(`${other.url}/on-given-port`)).text()).toBe("a");
    } finally {
      await other.stop();
    }
  }, 30_000);

  it("fails loudly when the nginx binary is missing", async () => {
    await expect(startNginx({ upstreams: [a.address], nginx: "/nonexistent/nginx" })).rejects.toThrow(/nginx did not start/);
  });
});

describe("renderNginxConfig", () => {
  const base = {
    port: 8080,
    dir: "/tmp/x",
    workerProcesses: 1,
    keepalive: 8,
    readTimeoutSeconds: 30,
    accessLog: undefined,
    workerUser: undefined,
  } as const;

  it("refuses an upstream that is not a plain host:port (it lands in a config file)", () => {
    expect(() => renderNginxConfig({ ...base, upstreams: ["127.0.0.1:1; include /etc/passwd"] })).toThrow(TypeError);
    expect(() => renderNginxConfig({ ...base, upstreams: [] })).toThrow(TypeError);
  });

  it("never lets a non-idempotent request go to a second upstream", () => {
    const config = renderNginxConfig({ ...base, upstreams: ["127.0.0.1:1"] });
    expect(config).toMatch(/proxy_next_upstream error timeout;/);
    expect(config).not.toMatch(/non_idempotent/);
  });
});
