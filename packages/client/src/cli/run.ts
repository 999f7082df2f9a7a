import { parseArgs, type ParseArgsConfig } from "node:util";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter, RouterInputs } from "@parts/router";
import { createPartsClient, type PartsClient } from "../client.ts";
import { tokenRequestErrorOf } from "../errors.ts";
import { createTokenProvider, type FetchLike, type TokenProvider } from "../token-provider.ts";
import { CliConfigError, cliVariables, readCliConfig, type CliConfig } from "./config.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { readJwt } from "../jwt-claims.ts";

export const ExitCode = { ok: 0, usage: 1, auth: 2, api: 3 } as const;

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

export interface CliOptions {
  /** Used for issuer and API requests (tests pass a counting wrapper around the real fetch). */
  fetch?: FetchLike;
}

export type CliEnv = Record<string, string | undefined>;

/** A usage or configuration problem: exit 1. */
class UsageError extends Error {}

function positiveId(text: string | undefined, command: string): number {
  if (text === undefined) throw new UsageError(`${command} needs a part id; see "parts ${command} --help"`);
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`part id must be a positive integer, got "${text}"`);
  }
  return id;
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
}

function apiUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith("/trpc") ? trimmed : `${trimmed}/trpc`;
}

function tokenProviderFrom(config: Omit<CliConfig, "PARTS_URL">, options: CliOptions): TokenProvider {
  return createTokenProvider({
    issuer: config.ISSUER,
    clientId: config.CLIENT_ID,
    clientSecret: config.CLIENT_SECRET,
    ...(config.SCOPE !== undefined ? { scope: config.SCOPE } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

function clientFrom(env: CliEnv, options: CliOptions): PartsClient {
  const config = readCliConfig(env, cliVariables);
  const tokens = tokenProviderFrom(config, options);
  return createPartsClient({ url: apiUrl(config.PARTS_URL), tokens, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

type Command = (args: string[], env: CliEnv, options: CliOptions) => Promise<unknown>;

const commands: Record<string, Command> = {
  async list(args, env, options) {
    const { values, positionals } = parse(args, {
      limit: { type: "string" },
      cursor: { type: "string" },
      q: { type: "string" },
      "model-number": { type: "string" },
      all: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`list takes no arguments, got "${positionals[0]}"`);
    let limit: number | undefined;
    if (values.limit !== undefined) {
      limit = Number(values.limit);
      if (!/^\d+$/.test(values.limit) || limit < 1 || limit > 100) {
        throw new UsageError(`--limit must be an integer from 1 to 100, got "${values.limit}"`);
      }
    }
    const input: RouterInputs["parts"]["list"] = {
      ...(limit !== undefined ? { limit } : {}),
      ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
      ...(values.q !== undefined ? { q: values.q } : {}),
      ...(values["model-number"] !== undefined ? { modelNumber: values["model-number"] } : {}),
    };
    const client = clientFrom(env, options);
    if (!values.all) return client.parts.list.query(input);
    const items = [];
    let cursor = input.cursor;
    do {
      const page = await client.parts.list.query({ ...input, ...(cursor !== undefined ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  },

  async get(args, env, options) {
    const { positionals } = parse(args, {});
    if (positionals.length > 1) throw new UsageError("get takes one part id");
    const id = positiveId(positionals[0], "get");
    return clientFrom(env, options).parts.byId.query({ id });
  },

  async create(args, env, options) {
    const { values, positionals } = parse(args, {
      "part-number": { type: "string" },
      "model-number": { type: "string" },
      name: { type: "string" },
      description: { type: "string" },
    });
    const flags = values["part-number"] ?? values["model-number"] ?? values.name ?? values.description;
    let input: RouterInputs["parts"]["create"];
    if (positionals.length > 0) {
      if (positionals.length > 1 || flags !== undefined) {
        throw new UsageError("create takes either one JSON document or --part-number/--model-number/--name flags, not both");
      }
      try {
        input = JSON.parse(positionals[0]!) as RouterInputs["parts"]["create"];
      } catch {
        throw new UsageError("the argument of create is not valid JSON");
      }
      if (!input || typeof input !== "object" || Array.isArray(input)) {
        throw new UsageError("the argument of create must be a JSON object");
      }
    } else {
      const missing = (["part-number", "model-number", "name"] as const).filter((flag) => values[flag] === undefined);
      if (missing.length > 0) throw new UsageError(`create needs ${missing.map((f) => `--${f}`).join(", ")}`);
      input = {
        partNumber: values["part-number"]!,
        modelNumber: values["model-number"]!,
        name: values.name!,
        ...(values.description !== undefined ? { description: values.description } : {}),
      };
    }
    return clientFrom(env, options).parts.create.mutate(input);
  },

  async update(args, env, options) {
    const { values, positionals } = parse(args, {
      "part-number": { type: "string" },
      "model-number": { type: "string" },
      name: { type: "string" },
      description: { type: "string" },
      "clear-description": { type: "boolean" },
    });
    if (positionals.length > 1) throw new UsageError("update takes one part id");
    const id = positiveId(positionals[0], "update");
    if (values.description !== undefined && values["clear-description"]) {
      throw new UsageError("use either --description or --clear-description");
    }
    const patch: Omit<RouterInputs["parts"]["update"], "id"> = {
      ...(values["part-number"] !== undefined ? { partNumber: values["part-number"] } : {}),
      ...(values["model-number"] !== undefined ? { modelNumber: values["model-number"] } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values["clear-description"] ? { description: null } : {}),
    };
    if (Object.keys(patch).length === 0) throw new UsageError("update needs at least one field to change; see \"parts update --help\"");
    return clientFrom(env, options).parts.update.mutate({ id, ...patch });
  },

  async delete(args, env, options) {
    const { positionals } = parse(args, {});
    if (positionals.length > 1) throw new UsageError("delete takes one part id");
    const id = positiveId(positionals[0], "delete");
    return clientFrom(env, options).parts.delete.mutate({ id });
  },

  async token(args, env, options) {
    const { values, positionals } = parse(args, { raw: { type: "boolean" } });
    if (positionals.length > 0) throw new UsageError("token takes no arguments");
    const config = readCliConfig(env, ["ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPE"]);
    const token = await tokenProviderFrom(config, options).getToken();
    const jwt = readJwt(token.accessToken);
    const expiresAt = token.expiresAt;
    return {
      tokenType: token.tokenType,
      scope: token.scope ?? null,
      expiresAt: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
      expiresInSec: expiresAt === undefined ? null : Math.round((expiresAt - Date.now()) / 1000),
      // Opaque (non-JWT) tokens have no readable claims.
      header: jwt?.header ?? null,
      claims: jwt?.claims ?? null,
      ...(values.raw ? { accessToken: token.accessToken } : {}),
    };
  },
};

const hints: Record<string, string> = {
  invalid_client: "check CLIENT_ID and CLIENT_SECRET",
  unauthorized_client: "check that the client may use the client_credentials grant",
  invalid_scope: "check SCOPE against the scopes the client is allowed",
  invalid_target: "check the requested resource/audience",
  network_error: "check ISSUER and that the issuer is running",
  invalid_response: "check that ISSUER is the issuer URL (its /.well-known/openid-configuration must answer)",
};

/** One line for stderr and the exit code for a failure. Never includes a secret or a token. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError || error instanceof CliConfigError) return { code: ExitCode.usage, message: error.message };
  const tokenError = tokenRequestErrorOf(error);
  if (tokenError) {
    const hint = hints[tokenError.code] ?? "check ISSUER, CLIENT_ID, CLIENT_SECRET and SCOPE";
    return { code: ExitCode.auth, message: `could not get an access token (${tokenError.code}): ${tokenError.message}; ${hint}` };
  }
  if (error instanceof TRPCClientError) {
    const e = error as TRPCClientError<AppRouter>;
    const data = e.data;
    switch (data?.code) {
      case "UNAUTHORIZED":
        return {
          code: ExitCode.auth,
          message: `unauthorized (${data.authError ?? "no code"}): ${e.message}; check that ISSUER is the issuer the API trusts`,
        };
      case "FORBIDDEN":
        return { code: ExitCode.auth, message: `forbidden: ${e.message}; check SCOPE and the scopes granted to CLIENT_ID` };
      case "NOT_FOUND":
        return { code: ExitCode.api, message: `not found: ${e.message}; check the id (see "parts list")` };
      case "CONFLICT":
        return { code: ExitCode.api, message: `conflict: ${e.message}; part numbers are unique regardless of case and width` };
      case "BAD_REQUEST": {
        // A malformed Authorization header is an RFC 6750 invalid_request: a 400, but an authentication failure.
        if (data.authError) return { code: ExitCode.auth, message: `unauthorized (${data.authError}): ${e.message}` };
        const fields = Object.entries(data.zodError?.fieldErrors ?? {}).map(([field, messages]) => `${field}: ${(messages as string[]).join(", ")}`);
        const form = data.zodError?.formErrors ?? [];
        const details = [...form, ...fields].join("; ");
        return { code: ExitCode.api, message: `invalid input: ${details || e.message}` };
      }
      case undefined:
        return { code: ExitCode.api, message: `API request failed: ${e.message}; check PARTS_URL and that the API is running` };
      default:
        return { code: ExitCode.api, message: `API error ${data?.code}: ${e.message}` };
    }
  }
  return { code: ExitCode.api, message: `unexpected failure: ${(error as Error)?.message ?? String(error)}` };
}

/**
 * Runs one CLI invocation: `argv` without the node and script paths. Writes JSON to `io.stdout`, one
 * line to `io.stderr` on failure, and resolves to the exit code.
 */
export async function runCli(argv: string[], env: CliEnv, io: CliIo, options: CliOptions = {}): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(mainHelp);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr.write(`parts: unknown command "${name}"; run "parts --help" for the list\n`);
    return ExitCode.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(commandHelp[name]!);
    return ExitCode.ok;
  }
  try {
    const result = await command(args, env, options);
    io.stdout.write(`${io.stdout.isTTY ? JSON.stringify(result, null, 2) : JSON.stringify(result)}\n`);
    return ExitCode.ok;
  } catch (error) {
    const { code, message } = describeFailure(error);
    io.stderr.write(`parts ${name}: ${message.replace(/\s*\n\s*/g, " ")}\n`);
    return code;
  }
}
