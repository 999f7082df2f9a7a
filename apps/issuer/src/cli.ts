import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { ClientAdminError, DatabaseError, openIssuerAdmin } from "@parts/authorization-server";
import { loadStoreConfig, poolSettings, storeLocation } from "./config.ts";

const usage = `usage: pnpm --filter @parts/issuer cli <command>

  clients create --name "Billing service" --scope "parts:read" [--json]
                                     prints the client id and secret (the secret is shown only this once)
  clients list [--json]
  clients set-scope <client-id> --scope "parts:read parts:write"
                                     replaces the client's allowed scopes (a client can only narrow its own)
  clients delete <client-id>
  clients rotate-secret <client-id>  prints the new secret once; the old one stops working at once
  keys rotate                        the published next key starts signing, a new next key is published; the old public key stays published for one token TTL

Uses ISSUER_DATABASE_URL (postgres://…) when set, else ISSUER_DATABASE_FILE (default ./data/issuer.db), and
ACCESS_TOKEN_TTL (default 3600).`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

if (existsSync(".env")) process.loadEnvFile(".env");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: "string" }, scope: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean" } },
});
const [group, command, argument] = positionals;
if (values.help || !group) fail(usage, values.help ? 0 : 2);

let config;
try {
  config = loadStoreConfig(process.env);
} catch (error) {
  fail(`parts-issuer: ${(error as Error).message}`, 1);
}
const ttl = config.ACCESS_TOKEN_TTL;
const admin = await openIssuerAdmin({ ...storeLocation(config), databasePool: poolSettings(config), accessTokenTtl: ttl }).catch((error: unknown) => {
  // One line naming the variable and the reason (DatabaseError's message holds no URL and no password).
  if (error instanceof DatabaseError) fail(`parts-issuer: cannot open the database at ISSUER_DATABASE_URL: ${error.message}`, 1);
  throw error;
});
const print = (text: string, data: unknown) => console.log(values.json ? JSON.stringify(data) : text);

try {
  switch (`${group} ${command ?? ""}`.trim()) {
    case "clients create": {
      if (!values.name || !values.scope) fail('clients create needs --name "…" and --scope "parts:read parts:write"');
      const created = await admin.clients.create({ name: values.name, scope: values.scope });
      print(`client_id:     ${created.clientId}\nclient_secret: ${created.clientSecret}\n(store the secret now: it is not kept and cannot be shown again)`, created);
      break;
    }
    case "clients list": {
      const clients = await admin.clients.list();
      print(clients.map((c) => `${c.clientId}  ${c.authMethod.padEnd(19)}  ${c.scope.padEnd(22)}  ${c.name}`).join("\n") || "(no clients)", clients);
      break;
    }
    case "clients set-scope": {
      if (!argument || !values.scope) fail('clients set-scope needs a client id and --scope "parts:read parts:write"');
      const updated = await admin.clients.setScope(argument, values.scope);
      print(`${updated.clientId}  scope: ${updated.scope}`, updated);
      break;
    }
    case "clients delete": {
      if (!argument) fail("clients delete needs a client id");
      if (!(await admin.clients.delete(argument))) fail(`no client with id ${argument}`, 1);
      print(`deleted ${argument}`, { clientId: argument, deleted: true });
      break;
    }
    case "clients rotate-secret": {
      if (!argument) fail("clients rotate-secret needs a client id");
      const rotated = await admin.clients.rotateSecret(argument);
      print(`client_id:     ${rotated.clientId}\nclient_secret: ${rotated.clientSecret}`, rotated);
      break;
    }
    case "keys rotate": {
      const { kid, next } = await admin.keys.rotate();
      print(`signing key ${kid} (published since the previous rotation); new next key ${next}; the previous public key stays published for ${ttl}s`, { kid, next });
      break;
    }
    default:
      fail(usage);
  }
} catch (error) {
  if (error instanceof ClientAdminError) fail(`${error.code}: ${error.message}`, 1);
  if (error instanceof Error && error.name === "ZodError") fail(`invalid input: ${error.message}`);
  if (error instanceof Error && "error_description" in error) fail(`invalid client: ${String(error.error_description)}`);
  throw error;
} finally {
  await admin.close();
}
