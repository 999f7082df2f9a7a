import { errors, type Adapter, type AdapterPayload, type ClientMetadata } from "oidc-provider";
import type { JWK } from "jose";
import type pg from "pg";
import { hashSecret } from "./secrets.ts";

/**
 * Everything the issuer keeps, behind one small interface with an implementation per engine: SQLite
 * (`sqlite-store.ts`, the embedded default) and PostgreSQL (`postgres/store.ts`, shared by several issuer
 * processes). The issuer, the operator CLI and oidc-provider's adapter only ever talk to this.
 */
export interface IssuerStore {
  /** oidc-provider's persistence for one model (`Client`, `ReplayDetection`, `RegistrationAccessToken`, …). */
  adapter(model: string): Adapter;
  /** Every stored client's metadata (secrets hashed). */
  listClients(): Promise<ClientMetadata[]>;
  /** Removes the client and its registration access tokens; true if it existed. */
  deleteClient(clientId: string): Promise<boolean>;
  /** Makes sure a current and a next signing key exist (see keys.ts); returns their kids. */
  ensureSigningKeys(): Promise<{ current: string; next: string }>;
  /**
   * The next key starts signing, the current one retires, a new next key is published; keys retired longer
   * than `accessTokenTtl` (plus a margin) ago may be deleted.
   */
  rotateSigningKey(accessTokenTtl: number): Promise<{ kid: string; next: string }>;
  /** Private JWKs in the order current, next, retired; leaves out keys retired longer than a token TTL ago. */
  loadKeys(accessTokenTtl: number): Promise<JWK[]>;
  /** When the current signing key started signing, in seconds since the epoch (undefined before one exists). */
  currentKeyActivatedAt(): Promise<number | undefined>;
  /** Drops expired rows (replay-detection entries, registration tokens); returns how many. */
  purgeExpired(): Promise<number>;
  /** The PostgreSQL pool (absent on SQLite), for counters other parts of the issuer share through it (rate limits). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

/** Where the issuer keeps its state: a SQLite file, or a PostgreSQL database shared by several issuers. */
export type IssuerStoreLocation = { databaseFile: string; databaseUrl?: undefined } | { databaseUrl: string; databaseFile?: undefined };

/**
 * oidc-provider's `ReplayDetection.unique` is find-then-save: two processes (or two requests in one) can both
 * find nothing and both accept the assertion. Each adapter therefore saves that model insert-if-absent and
 * throws this error when the row already exists, which oidc-provider turns into the same `invalid_client`
 * answer it gives for a replay it detects itself.
 */
export const replayModel = "ReplayDetection";

export function replayRefused(): Error {
  return new errors.InvalidClientAuth("client assertion tokens must only be used once");
}

/** Seconds since the epoch, the unit of `expiresAt` and `consumedAt`. */
export const epochSeconds = () => Math.floor(Date.now() / 1000);

/** Client secrets are hashed on the way in, whichever path saved the client (registration, CLI, update). */
function protectSecrets(model: string, payload: AdapterPayload): AdapterPayload {
  if (model !== "Client" || typeof payload.client_secret !== "string") return payload;
  return { ...payload, client_secret: hashSecret(payload.client_secret) };
}

/** An oidc-provider payload as the row both engines store: the JSON, its look-up columns and its expiry. */
export function payloadRow(model: string, id: string, payload: AdapterPayload, expiresIn?: number) {
  return {
    model,
    id,
    payload: JSON.stringify(protectSecrets(model, payload)),
    grantId: typeof payload.grantId === "string" ? payload.grantId : null,
    userCode: typeof payload.userCode === "string" ? payload.userCode : null,
    uid: typeof payload.uid === "string" ? payload.uid : null,
    expiresAt: expiresIn ? epochSeconds() + expiresIn : null,
    consumedAt: null,
  };
}
