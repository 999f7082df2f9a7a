import { CorsOrigins } from "@parts/authorization-server";
import { integer, parseEnvironment, text } from "@parts/env";
import { z } from "zod";

// The launcher reads only what it must agree on with both services; every other variable in its environment
// passes through to the issuer and the parts server, which check their own. As there, an empty value is an
// error ("must not be empty"): leave a variable unset to get its default.

/** The launcher prints URLs with these ports, so 0 ("any free port", which the services accept) is not allowed. */
const port = () => integer(1, 65535);

export const LauncherConfig = z
  .object({
    /** The issuer's port on 127.0.0.1. */
    ISSUER_PORT: port().default(4000),
    /** The parts server's port on 127.0.0.1. */
    PORT: port().default(3000),
    /** The audience the issuer puts in tokens and the server requires. */
    AUDIENCE: text().default("api://parts"),
    /**
     * Browser origins the issuer allows (CORS), checked as the issuer checks them and passed on with the parts
     * server's own origin added: the /docs page's "Authorize" posts to the issuer from that origin.
     */
    ISSUER_CORS_ORIGINS: CorsOrigins.default([]),
  })
  .superRefine((env, ctx) => {
    if (typeof env.PORT === "number" && env.PORT === env.ISSUER_PORT) {
      ctx.addIssue({ code: "custom", path: ["PORT"], message: "must differ from ISSUER_PORT" });
    }
  });

export type LauncherConfig = z.infer<typeof LauncherConfig>;

/** Parses the environment, or throws one line naming each bad variable and why (never a value). */
export function loadConfig(env: NodeJS.ProcessEnv): LauncherConfig {
  return parseEnvironment(LauncherConfig, env);
}
