import { isLoopbackUrl } from "@parts/router/loopback";

/**
 * The `parts` CLI's configuration, read from the environment (and ./.env). Each rule returns the reason a
 * value is wrong, or undefined; reasons never contain the value, so CLIENT_SECRET cannot leak through them.
 * An empty value is an error of its own ("must not be empty"): unset a variable to leave it out. The rules are
 * hand-written rather than a zod schema so that the published package does not depend on zod.
 */
export interface CliConfig {
  /** API base URL; `/trpc` is appended unless present. */
  PARTS_URL: string;
  ISSUER: string;
  CLIENT_ID: string;
  CLIENT_SECRET: string;
  /** Space-separated scopes to request; the issuer's default scopes when unset. */
  SCOPE?: string;
}

type Rule = (value: string) => string | undefined;

const httpUrl: Rule = (value) => {
  const url = URL.parse(value);
  if (url === null) return "must be an absolute URL such as https://parts.example.com";
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http or https URL";
  return undefined;
};

/** https everywhere except loopback, the same rule as the client library's (and the API's) for issuers. */
const issuerUrl: Rule = (value) => {
  const url = URL.parse(value);
  if (url === null) return "must be an absolute URL such as https://id.example.com";
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url))) return undefined;
  return "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])";
};

/** RFC 6749 §3.3: scope tokens of printable ASCII except `"` and `\`, separated by single spaces. */
const scopeList: Rule = (value) =>
  /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(value)
    ? undefined
    : 'must be scope names separated by single spaces, e.g. "parts:read parts:write"';

const anyText: Rule = () => undefined;

const rules: Record<keyof CliConfig, { rule: Rule; optional?: true }> = {
  PARTS_URL: { rule: httpUrl },
  ISSUER: { rule: issuerUrl },
  CLIENT_ID: { rule: anyText },
  CLIENT_SECRET: { rule: anyText },
  SCOPE: { rule: scopeList, optional: true },
};

/** Every variable the CLI reads, in the order problems are reported. */
export const cliVariables = Object.keys(rules) as (keyof CliConfig)[];

/** A configuration problem; the message is one line naming each bad variable and why. */
export class CliConfigError extends Error {
  override name = "CliConfigError";
}

/**
 * Reads the variables a command needs (all of them, or all but PARTS_URL for `parts token`), or throws a
 * `CliConfigError`: `invalid configuration: ISSUER: must not be empty; CLIENT_ID: is required (…)`.
 */
export function readCliConfig<K extends keyof CliConfig>(env: Record<string, string | undefined>, names: readonly K[]): Pick<CliConfig, K> {
  const problems: string[] = [];
  const config: Partial<CliConfig> = {};
  for (const name of cliVariables.filter((variable) => (names as readonly string[]).includes(variable))) {
    const value = env[name];
    const { rule, optional } = rules[name];
    let reason: string | undefined;
    if (value === undefined) reason = optional ? undefined : "is required";
    else if (value === "") reason = "must not be empty";
    else reason = rule(value);
    if (reason !== undefined) problems.push(`${name}: ${reason}`);
    else if (value !== undefined) config[name] = value;
  }
  if (problems.length > 0) {
    throw new CliConfigError(`invalid configuration: ${problems.join("; ")} (set in the environment or in ./.env)`);
  }
  return config as Pick<CliConfig, K>;
}
