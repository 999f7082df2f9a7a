/**
 * Test support for the REST tests (not exported from the package): a real server on an ephemeral port with a
 * SQLite file, real tokens from the fake issuer, and a request helper that checks every response against the
 * live `/openapi.json` before handing it to the test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createPartsRepository, openDatabase, type PartsRepository } from "@parts/db";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { createResponseChecker, type ResponseChecker } from "@parts/openapi-check";
import { createTokenVerifier, type TokenVerifier } from "@parts/router";
import { createPartsServer, type PartsServer, type PartsServerOptions } from "../http-server.ts";
import { createLogger } from "../logger.ts";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is empty. */
  json: Json | undefined;
}

export interface SendOptions {
  token?: string | null;
  headers?: Record<string, string | string[]>;
  /** A JSON value (sent as application/json unless `headers` says otherwise) or raw bytes. */
  body?: unknown;
  raw?: Buffer | string;
}

export interface RestTestServer {
  base: string;
  issuer: FakeIssuer;
  writeToken: string;
  readToken: string;
  logLines: string[];
  /** Sends a request with the path exactly as given (no URL normalisation), checked against the document. */
  send(method: string, path: string, options?: SendOptions): Promise<RawResponse>;
  /** The same, without the document check (for the document itself). */
  sendUnchecked(method: string, path: string, options?: SendOptions): Promise<RawResponse>;
  app: PartsServer;
  close(): Promise<void>;
}

function rawSend(base: string, method: string, path: string, options: SendOptions, defaultToken: string): Promise<RawResponse> {
  const url = new URL(base);
  const token = options.token === undefined ? defaultToken : options.token;
  const headers: Record<string, string | string[]> = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let payload: Buffer | undefined;
  if (options.raw !== undefined) payload = Buffer.from(options.raw);
  else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers["content-type"] = "application/json";
  }
  if (payload) headers["content-length"] = String(payload.length);
  Object.assign(headers, options.headers);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) responseHeaders.set(name, String(value));
        resolve({ status: res.statusCode!, headers: responseHeaders, text, json: text === "" ? undefined : (JSON.parse(text) as Json) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

export async function startRestTestServer(
  options: {
    parts?: (stored: PartsRepository) => PartsRepository;
    verifier?: (issuer: FakeIssuer) => TokenVerifier;
    loadShedder?: PartsServerOptions["loadShedder"];
    requireIfMatch?: boolean;
  } = {},
): Promise<RestTestServer> {
  const issuer = await startFakeIssuer();
  const dir = mkdtempSync(join(tmpdir(), "parts-rest-"));
  const database = openDatabase(join(dir, "parts.db"));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const stored = createPartsRepository(database.db);
  const app = createPartsServer({
    database,
    verifier: options.verifier?.(issuer) ?? createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience }),
    parts: options.parts?.(stored) ?? stored,
    logger: createLogger("info", sink),
    loadShedder: options.loadShedder,
    requireIfMatch: options.requireIfMatch,
  });
  const base = await app.listen(0, "127.0.0.1");
  const writeToken = await issuer.sign({ client_id: "writer", sub: "writer" });
  const readToken = await issuer.sign({ client_id: "reader", sub: "reader", scope: "parts:read" });
  let checker: ResponseChecker | undefined;

  const sendUnchecked = (method: string, path: string, sendOptions: SendOptions = {}) => rawSend(base, method, path, sendOptions, writeToken);
  async function send(method: string, path: string, sendOptions: SendOptions = {}) {
    checker ??= createResponseChecker((await sendUnchecked("GET", "/openapi.json")).json!);
    const response = await sendUnchecked(method, path, sendOptions);
    const violations = checker({ method, url: path, status: response.status, contentType: response.headers.get("content-type"), body: response.text, headers: response.headers });
    if (violations.length > 0) throw new Error(`${method} ${path} → ${response.status} departs from /openapi.json:\n${violations.join("\n")}\n${response.text.slice(0, 500)}`);
    return response;
  }

  return {
    base,
    issuer,
    writeToken,
    readToken,
    logLines,
    send,
    sendUnchecked,
    app,
    async close() {
      await app.close(1000);
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
