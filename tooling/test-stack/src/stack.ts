/**
 * Test support: the real issuer, the real API server and a real SQLite file,
 * all on ephemeral loopback ports, plus a counting wrapper around the real fetch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, openDatabase } from "@parts/db";
import { startIssuer, type RunningIssuer } from "@parts/authorization-server";
import { createTokenVerifier } from "@parts/router";
import { createLogger, createPartsServer, type PartsServer } from "@parts/api-server";
import pino from "pino";

export const audience = "api://parts";

/** The fetch signature the client accepts. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface CountingFetch extends FetchLike {
  /** Requests whose URL path ends with `/token` (the issuer's token endpoint). */
  tokenRequests: number;
  apiRequests: number;
  /** API requests that got an HTTP response (a request on a dead keep-alive socket does not). */
  apiResponses: number;
  reset(): void;
}

/** The real global fetch, with requests counted by kind. */
export function countingFetch(): CountingFetch {
  const counted = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.pathname.endsWith("/token")) counted.tokenRequests++;
    const api = url.pathname.startsWith("/trpc/");
    if (api) counted.apiRequests++;
    const response = await fetch(input, init);
    if (api) counted.apiResponses++;
    return response;
  }) as CountingFetch;
  counted.tokenRequests = 0;
  counted.apiRequests = 0;
  counted.apiResponses = 0;
  counted.reset = () => {
    counted.tokenRequests = 0;
    counted.apiRequests = 0;
    counted.apiResponses = 0;
  };
  return counted;
}

export interface TempDir {
  path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), "parts-client-"));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RunningApi {
  /** tRPC endpoint, `<origin>/trpc`. */
  url: string;
  origin: string;
  close(): Promise<void>;
}

/** The real parts server (createPartsServer) with a real verifier for `issuerUrl`, on `port` (0 = any). */
export async function startApi(options: { issuerUrl: string; databaseFile: string; port?: number; audience?: string }): Promise<RunningApi> {
  const database = openDatabase(options.databaseFile);
  const verifier = createTokenVerifier({ issuer: options.issuerUrl, audience: options.audience ?? audience });
  const app: PartsServer = createPartsServer({
    database,
    verifier,
    parts: createPartsRepository(database.db),
    logger: createLogger("silent"),
  });
  const origin = await app.listen(options.port ?? 0, "127.0.0.1");
  return { url: `${origin}/trpc`, origin, close: () => app.close(0) };
}

export interface Stack {
  dir: TempDir;
  issuer: RunningIssuer;
  api: RunningApi;
  /** A client allowed both scopes. */
  client: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export async function startStack(options: { accessTokenTtl?: number } = {}): Promise<Stack> {
  const dir = tempDir();
  const issuer = await startIssuer({
    databaseFile: dir.file("issuer.db"),
    port: 0,
    host: "127.0.0.1",
    audience,
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
    logger: pino({ level: "silent" }),
  });
  const api = await startApi({ issuerUrl: issuer.url, databaseFile: dir.file("parts.db") });
  const created = await issuer.clients.create({ name: "client-tests", scope: "parts:read parts:write" });
  const stack: Stack = {
    dir,
    issuer,
    api,
    client: { clientId: created.clientId, clientSecret: created.clientSecret! },
    async close() {
      await stack.api.close();
      await stack.issuer.close();
      dir.remove();
    },
  };
  return stack;
}
