import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Everything oidc-provider persists through its Adapter (clients, registration access tokens, replay
 * detection for client assertions), one row per (model, id). JWT access tokens are never stored.
 */
export const oidcPayloads = sqliteTable(
  "oidc_payloads",
  {
    model: text("model").notNull(),
    id: text("id").notNull(),
    /** The payload as JSON; for `Client` rows the secret is replaced by its hash before it gets here. */
    payload: text("payload").notNull(),
    grantId: text("grant_id"),
    userCode: text("user_code"),
    uid: text("uid"),
    /** Epoch seconds; null for rows that never expire (clients). */
    expiresAt: integer("expires_at"),
    consumedAt: integer("consumed_at"),
  },
  (table) => [
    primaryKey({ columns: [table.model, table.id] }),
    index("oidc_payloads_grant_id_idx").on(table.grantId),
    index("oidc_payloads_uid_idx").on(table.uid),
    index("oidc_payloads_user_code_idx").on(table.userCode),
  ],
);

/** Token signing keys. The private JWK lives here, so the database file is kept at mode 0600. */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  privateJwk: text("private_jwk").notNull(),
  /** Epoch seconds. */
  createdAt: integer("created_at").notNull(),
  /**
   * Epoch seconds when the key started signing. Null for the next key: published in the JWKS ahead of use,
   * so verifiers already hold it when a rotation makes it the signing key.
   */
  activatedAt: integer("activated_at"),
  /** Epoch seconds when a newer key took over signing; the public key stays published for one token TTL. */
  retiredAt: integer("retired_at"),
});

export type OidcPayloadRow = typeof oidcPayloads.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
