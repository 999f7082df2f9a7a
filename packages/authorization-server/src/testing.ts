import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { startIssuer, type IssuerServeOptions, type RunningIssuer } from "./issuer.ts";

/** Test helpers: a real issuer on an ephemeral port over a real SQLite file in a temp dir. */
export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "parts-issuer-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A logger whose JSON lines are kept for assertions (e.g. that no secret is logged). */
export function capturedLogger(level = "info"): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}

export const registrationToken = "test-registration-token-0123456789abcdef";

export function startRealIssuer(databaseFile: string, options: Partial<IssuerServeOptions> = {}): Promise<RunningIssuer> {
  return startIssuer({ databaseFile, port: 0, registrationToken, logger: pino({ level: process.env.TEST_LOG ?? "silent" }), ...options });
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

export interface TokenResponse {
  status: number;
  headers: Headers;
  body: { access_token?: string; token_type?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
}

/** POSTs a form to the token endpoint. */
export async function requestToken(
  issuerUrl: string,
  form: Record<string, string>,
  authorization?: string,
): Promise<TokenResponse> {
  const response = await fetch(`${issuerUrl}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as TokenResponse["body"] };
}

/** A token for a client_secret_basic client; throws with the OAuth error if there is none. */
export async function tokenFor(issuerUrl: string, clientId: string, secret: string, scope?: string): Promise<string> {
  const { status, body } = await requestToken(
    issuerUrl,
    { grant_type: "client_credentials", ...(scope ? { scope } : {}) },
    basic(clientId, secret),
  );
  if (status !== 200 || !body.access_token) throw new Error(`token request failed: ${status} ${body.error}`);
  return body.access_token;
}
