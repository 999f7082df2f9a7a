import { randomBytes, randomUUID } from "node:crypto";
import Provider, { errors, type Configuration, type JWKS } from "oidc-provider";
import { createAssertionCheck } from "./client-assertion.ts";
import { validateClientMetadata } from "./client-policy.ts";
import { corsPolicy } from "./cors.ts";
import { refuseDpop } from "./dpop.ts";
import { signingAlg } from "./keys.ts";
import { applyScopePolicy, knownScopes } from "./scopes.ts";
import { generateSecret, secretMatches } from "./secrets.ts";
import type { IssuerStore } from "./store.ts";

export interface ProviderSettings {
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  registrationToken?: string | undefined;
  /** Private JWKs, the signing key first. */
  keys: JWKS["keys"];
  /** Trust X-Forwarded-* from a TLS-terminating proxy in front of the issuer. */
  proxy?: boolean;
  /** Exact browser origins allowed CORS access; none by default. */
  corsOrigins?: readonly string[];
}

/** Seconds of clock difference tolerated in client assertions (and any other JWT oidc-provider checks). */
const clockTolerance = 15;

/** Only client-credentials machine clients exist here; no redirect URIs, no end-user flows. */
const clientDefaults: Configuration["clientDefaults"] = {
  grant_types: ["client_credentials"],
  response_types: [],
  token_endpoint_auth_method: "client_secret_basic",
};

export function buildConfiguration(store: IssuerStore, settings: ProviderSettings): Configuration {
  const { audience, accessTokenTtl, registrationToken } = settings;
  const registration = registrationToken !== undefined && registrationToken !== "";
  return {
    adapter: (model) => store.adapter(model),
    jwks: { keys: settings.keys },
    scopes: [...knownScopes],
    claims: {},
    responseTypes: [],
    ttl: { ClientCredentials: accessTokenTtl },
    clientDefaults,
    // client_secret_jwt is left out: it needs the plain secret as an HMAC key, and secrets are stored hashed.
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
    extraClientMetadata: { properties: ["scope"], validator: validateClientMetadata },
    clockTolerance,
    assertJwtClientAuthClaimsAndHeader: createAssertionCheck(clockTolerance),
    clientBasedCORS: corsPolicy(settings.corsOrigins ?? []).clientBasedCORS,
    // No browser sessions exist, but oidc-provider wants signing keys for its cookies.
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      revocation: { enabled: false },
      // Tokens are plain Bearer tokens: the parts API checks no proof of possession.
      dPoP: { enabled: false },
      mTLS: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      registration: {
        enabled: registration,
        initialAccessToken: registration ? registrationToken : false,
        // UUIDs, as the operator CLI gives: oidc-provider's default ids are base64url and one in 64 starts with
        // "-", which every command line (the operator CLI's included) takes for an option.
        idFactory: () => randomUUID(),
        secretFactory: generateSecret,
      },
      registrationManagement: { enabled: registration },
      resourceIndicators: {
        enabled: true,
        // Every token is for the parts API, without the client having to send `resource`.
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator, client) => {
          if (resourceIndicator !== audience) throw new errors.InvalidTarget();
          applyScopePolicy(ctx, client);
          return {
            audience,
            scope: knownScopes.join(" "),
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: signingAlg } },
          };
        },
      },
    },
  };
}

/**
 * An oidc-provider instance for this issuer. Client secrets are compared against their stored SHA-256
 * hash: oidc-provider has no hook for that, so the Client model's comparison is replaced. The CORS gate
 * and the DPoP refusal are request filters for what its configuration does not cover.
 */
export function createProvider(store: IssuerStore, settings: ProviderSettings): Provider {
  const provider = new Provider(settings.issuer, buildConfiguration(store, settings));
  provider.proxy = settings.proxy ?? false;
  provider.use(corsPolicy(settings.corsOrigins ?? []).corsGate);
  provider.use(refuseDpop);
  const clientModel = provider.Client.prototype as unknown as { compareClientSecret(actual: string): boolean };
  clientModel.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return secretMatches(this.clientSecret, actual);
  };
  return provider;
}
