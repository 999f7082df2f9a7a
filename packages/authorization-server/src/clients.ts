import { randomUUID } from "node:crypto";
import type { ClientMetadata, default as Provider } from "oidc-provider";
import { z } from "zod";
import { parseScope } from "./scopes.ts";
import { generateSecret } from "./secrets.ts";
import type { IssuerStore } from "./store.ts";

export const AuthMethod = z.enum(["client_secret_basic", "private_key_jwt"]);
export type AuthMethod = z.infer<typeof AuthMethod>;

export const CreateClientInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** Space-separated, from `parts:read parts:write`. */
    scope: z.string().trim().min(1, "at least one scope is required"),
    authMethod: AuthMethod.default("client_secret_basic"),
    /** Public keys the client signs its `private_key_jwt` assertions with. */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  })
  .refine((input) => input.authMethod !== "private_key_jwt" || input.jwks, {
    message: "private_key_jwt clients need jwks (their public keys)",
    path: ["jwks"],
  });
export type CreateClientInput = z.input<typeof CreateClientInput>;

export interface ClientSummary {
  clientId: string;
  name: string;
  scope: string;
  authMethod: string;
}

/** Stable codes for what an operator can get wrong; messages are for humans. */
export class ClientAdminError extends Error {
  constructor(
    readonly code: "client_not_found" | "no_shared_secret",
    message: string,
  ) {
    super(message);
    this.name = "ClientAdminError";
  }
}

function summarize(client: ClientMetadata): ClientSummary {
  return {
    clientId: client.client_id,
    name: typeof client.client_name === "string" ? client.client_name : "",
    scope: client.scope ?? "",
    authMethod: client.token_endpoint_auth_method ?? "client_secret_basic",
  };
}

/**
 * Operator-side client management (the CLI and `RunningIssuer.clients`). Writes go through the same adapter
 * as registration, so secrets are hashed the same way; metadata is validated by oidc-provider's own
 * client schema before anything is stored.
 */
export function createClientAdmin(store: IssuerStore, provider: () => Provider) {
  const adapter = store.adapter("Client");

  function validate(metadata: ClientMetadata): ClientMetadata {
    const ClientModel = provider().Client as unknown as new (metadata: ClientMetadata) => { metadata(): ClientMetadata };
    return new ClientModel(metadata).metadata();
  }

  return {
    async create(input: CreateClientInput): Promise<{ clientId: string; clientSecret?: string }> {
      const { name, scope, authMethod, jwks } = CreateClientInput.parse(input);
      const clientId = randomUUID();
      const clientSecret = authMethod === "client_secret_basic" ? generateSecret() : undefined;
      const metadata = validate({
        client_id: clientId,
        client_name: name,
        scope: parseScope(scope).join(" "),
        grant_types: ["client_credentials"],
        response_types: [],
        token_endpoint_auth_method: authMethod,
        client_id_issued_at: Math.floor(Date.now() / 1000),
        ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
        ...(jwks ? { jwks: jwks as ClientMetadata["jwks"] } : {}),
      });
      await adapter.upsert(clientId, metadata);
      return clientSecret ? { clientId, clientSecret } : { clientId };
    },

    async list(): Promise<ClientSummary[]> {
      return (await store.listClients()).map(summarize);
    },

    /** Removes the client and its registration access tokens; true if it existed. */
    delete(clientId: string): Promise<boolean> {
      return store.deleteClient(clientId);
    },

    /**
     * Replaces a client's allowed scopes, widening included: the operator's counterpart to an RFC 7592
     * update, which may only narrow them. Validated (without a request) like any other client.
     */
    async setScope(clientId: string, scope: string): Promise<ClientSummary> {
      const current = (await adapter.find(clientId)) as ClientMetadata | undefined;
      if (!current) throw new ClientAdminError("client_not_found", `no client with id ${clientId}`);
      const metadata = validate({ ...current, scope: parseScope(scope).join(" ") });
      await adapter.upsert(clientId, { ...current, scope: metadata.scope });
      return summarize({ ...current, scope: metadata.scope });
    },

    /** Issues a new secret; the old one stops working at once. */
    async rotateSecret(clientId: string): Promise<{ clientId: string; clientSecret: string }> {
      const current = (await adapter.find(clientId)) as ClientMetadata | undefined;
      if (!current) throw new ClientAdminError("client_not_found", `no client with id ${clientId}`);
      if (current.token_endpoint_auth_method === "private_key_jwt") {
        throw new ClientAdminError("no_shared_secret", `client ${clientId} authenticates with private_key_jwt and has no secret`);
      }
      const clientSecret = generateSecret();
      await adapter.upsert(clientId, { ...current, client_secret: clientSecret, client_secret_expires_at: 0 });
      return { clientId, clientSecret };
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
