import { sql } from "drizzle-orm";
import { bigint, index, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/** Epoch seconds, read back as JS numbers (int8: no 2038 ceiling; far below 2^53). */
const epochSeconds = (name: string) => bigint(name, { mode: "number" });

/**
 * The issuer's tables on PostgreSQL: the same columns as the SQLite schema (../schema.ts) under the same
 * names, plus `signing_keys.status`, on which the database itself enforces at most one current and one
 * next key (partial unique indexes), so no interleaving of two issuer processes can publish two of either.
 */
export const oidcPayloads = pgTable(
  "oidc_payloads",
  {
    model: text("model").notNull(),
    id: text("id").notNull(),
    /** The payload as JSON text; for `Client` rows the secret is replaced by its hash before it gets here. */
    payload: text("payload").notNull(),
    grantId: text("grant_id"),
    userCode: text("user_code"),
    uid: text("uid"),
    /** Epoch seconds; null for rows that never expire (clients). */
    expiresAt: epochSeconds("expires_at"),
    consumedAt: epochSeconds("consumed_at"),
  },
  (table) => [
    primaryKey({ columns: [table.model, table.id] }),
    index("oidc_payloads_grant_id_idx").on(table.grantId),
    index("oidc_payloads_uid_idx").on(table.uid),
    index("oidc_payloads_user_code_idx").on(table.userCode),
    index("oidc_payloads_expires_at_idx").on(table.expiresAt),
  ],
);

export const keyStatuses = ["next", "current", "retired"] as const;
export type KeyStatus = (typeof keyStatuses)[number];

/** Token signing keys; the private JWK lives here, so grant this table to the issuer's role only. */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    privateJwk: text("private_jwk").notNull(),
    /** next (published, not signing) -> current (signing) -> retired (published until its tokens expire). */
    status: text("status", { enum: keyStatuses }).notNull(),
    createdAt: epochSeconds("created_at").notNull(),
    activatedAt: epochSeconds("activated_at"),
    retiredAt: epochSeconds("retired_at"),
  },
  (table) => [
    uniqueIndex("signing_keys_one_current").on(table.status).where(sql`status = 'current'`),
    uniqueIndex("signing_keys_one_next").on(table.status).where(sql`status = 'next'`),
  ],
);
