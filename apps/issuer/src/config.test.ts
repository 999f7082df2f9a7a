import { describe, expect, it } from "vitest";
import { IssuerConfig, loadConfig, poolSettings } from "./config.ts";

describe("loadConfig", () => {
  it("applies defaults", () => {
    expect(loadConfig({})).toEqual({
      ISSUER_PORT: 4000,
      ISSUER_HOST: "127.0.0.1",
      ISSUER_METRICS_HOST: "127.0.0.1",
      AUDIENCE: "api://parts",
      ISSUER_DATABASE_FILE: "./data/issuer.db",
      ISSUER_DATABASE_POOL_MAX: 5,
      ISSUER_DATABASE_CONNECT_TIMEOUT_MS: 2000,
      ISSUER_DATABASE_STATEMENT_TIMEOUT_MS: 5000,
      ISSUER_DATABASE_IDLE_TIMEOUT_MS: 30_000,
      ACCESS_TOKEN_TTL: 3600,
      ISSUER_CORS_ORIGINS: [],
      LOG_LEVEL: "info",
    });
  });

  it("takes an https ISSUER_URL without its trailing slash, and plain http on loopback", () => {
    expect(loadConfig({ ISSUER_URL: "https://id.example.com/" }).ISSUER_URL).toBe("https://id.example.com");
    expect(loadConfig({ ISSUER_URL: "http://localhost:4000" }).ISSUER_URL).toBe("http://localhost:4000");
  });

  it("needs ISSUER_URL when it listens beyond loopback without a certificate", () => {
    expect(() => loadConfig({ ISSUER_HOST: "0.0.0.0" })).toThrow(
      new Error(
        "invalid configuration: ISSUER_URL: is required when ISSUER_HOST is not a loopback address (an https URL, or serve TLS with ISSUER_TLS_CERT_FILE)",
      ),
    );
    expect(loadConfig({ ISSUER_HOST: "0.0.0.0", ISSUER_URL: "https://id.example.com" }).ISSUER_HOST).toBe("0.0.0.0");
    expect(loadConfig({ ISSUER_HOST: "::1" }).ISSUER_HOST).toBe("::1");
  });

  it("reports every invalid variable in one line, one reason each", () => {
    expect(() => loadConfig({ ISSUER_PORT: "", ACCESS_TOKEN_TTL: "1", LOG_LEVEL: "loud" })).toThrow(
      new Error("invalid configuration: ISSUER_PORT: must not be empty; ACCESS_TOKEN_TTL: must be an integer from 60 to 86400; LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent"),
    );
  });

  it("never echoes the registration token", () => {
    expect(() => loadConfig({ REGISTRATION_TOKEN: "short-secret-value" })).toThrow(/^invalid configuration: REGISTRATION_TOKEN: must be at least 32 characters$/);
  });
});

describe("ISSUER_CORS_ORIGINS", () => {
  it("is empty (CORS closed) when unset or empty", () => {
    expect(loadConfig({}).ISSUER_CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ ISSUER_CORS_ORIGINS: "" }).ISSUER_CORS_ORIGINS).toEqual([]);
  });

  it("is a comma-separated list of exact origins", () => {
    const config = loadConfig({ ISSUER_CORS_ORIGINS: "https://app.example, http://localhost:5173," });
    expect(config.ISSUER_CORS_ORIGINS).toEqual(["https://app.example", "http://localhost:5173"]);
  });

  it.each(["https://app.example/", "https://app.example/path", "https://App.example", "https://app.example:443", "*", "app.example", "ftp://app.example"])(
    "rejects %s with one line naming the variable",
    (value) => {
      expect(() => loadConfig({ ISSUER_CORS_ORIGINS: `https://ok.example,${value}` })).toThrow(
        new Error(`invalid configuration: ISSUER_CORS_ORIGINS: not an origin (scheme://host[:port], no path or trailing slash): ${JSON.stringify(value)}`),
      );
    },
  );
});

const empty = "must not be empty";
const https = "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])";
const bothTls = "is required with the other of ISSUER_TLS_CERT_FILE and ISSUER_TLS_KEY_FILE";

// Every variable with bad values of each kind that applies: empty, malformed, out of range, unknown enum.
const badValues: [name: string, value: string, reason: string][] = [
  ["ISSUER_PORT", "", empty],
  ["ISSUER_PORT", "four", "must be an integer from 0 to 65535"],
  ["ISSUER_PORT", "65536", "must be an integer from 0 to 65535"],
  ["ISSUER_HOST", "", empty],
  ["ISSUER_HOST", "not a host", "must be a host name or IP address"],
  ["ISSUER_METRICS_PORT", "65536", "must be an integer from 0 to 65535"],
  ["ISSUER_METRICS_HOST", "", empty],
  ["ISSUER_URL", "", empty],
  ["ISSUER_URL", "not-a-url", "must be an absolute URL such as https://id.example.com"],
  ["ISSUER_URL", "http://id.example.com", https],
  ["ISSUER_URL", "https://id.example.com/oauth", "must have no path or query"],
  ["AUDIENCE", "", empty],
  ["ISSUER_DATABASE_FILE", "", empty],
  ["ISSUER_DATABASE_URL", "", empty],
  ["ISSUER_DATABASE_URL", "mysql://db.example.com/parts", "must start with postgres:// or postgresql://"],
  ["ISSUER_DATABASE_POOL_MAX", "", empty],
  ["ISSUER_DATABASE_POOL_MAX", "0", "must be an integer from 1 to 1000"],
  ["ISSUER_DATABASE_CONNECT_TIMEOUT_MS", "99", "must be an integer from 100 to 2147483647"],
  ["ISSUER_DATABASE_STATEMENT_TIMEOUT_MS", "-1", "must be an integer from 0 to 2147483647"],
  ["ISSUER_DATABASE_IDLE_TIMEOUT_MS", "soon", "must be an integer from 0 to 2147483647"],
  ["ACCESS_TOKEN_TTL", "", empty],
  ["ACCESS_TOKEN_TTL", "59", "must be an integer from 60 to 86400"],
  ["ACCESS_TOKEN_TTL", "86401", "must be an integer from 60 to 86400"],
  ["ACCESS_TOKEN_TTL", "1h", "must be an integer from 60 to 86400"],
  ["REGISTRATION_TOKEN", "", empty],
  ["REGISTRATION_TOKEN", "x".repeat(31), "must be at least 32 characters"],
  ["ISSUER_CORS_ORIGINS", "https://app.example/", 'not an origin (scheme://host[:port], no path or trailing slash): "https://app.example/"'],
  ["ISSUER_TLS_CERT_FILE", "", empty],
  ["ISSUER_TLS_CERT_FILE", "cert.pem", "is required with the other of ISSUER_TLS_CERT_FILE and ISSUER_TLS_KEY_FILE"],
  ["ISSUER_TLS_KEY_FILE", "", empty],
  ["LOG_LEVEL", "", empty],
  ["LOG_LEVEL", "verbose", "must be one of fatal, error, warn, info, debug, trace, silent"],
  ["ISSUER_RATE_LIMIT_TOKEN", "", empty],
  ["ISSUER_RATE_LIMIT_TOKEN", "60/fortnight", "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)"],
  ["ISSUER_RATE_LIMIT_TOKEN_ADDRESS", "lots", "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)"],
  ["ISSUER_TRUSTED_PROXIES", "gateway", "must list IP addresses or CIDR ranges (not an IP address or CIDR range: gateway)"],
];

describe("an invalid value stops with one line naming the variable", () => {
  it.each(badValues)("%s=%j: %s", (name, value, reason) => {
    const expected = name === "ISSUER_TLS_CERT_FILE" && reason === bothTls ? "ISSUER_TLS_KEY_FILE" : name;
    expect(() => loadConfig({ [name]: value })).toThrow(new Error(`invalid configuration: ${expected}: ${reason}`));
  });

  it("names the missing half of a certificate and key pair", () => {
    expect(() => loadConfig({ ISSUER_TLS_KEY_FILE: "key.pem" })).toThrow(new Error(`invalid configuration: ISSUER_TLS_CERT_FILE: ${bothTls}`));
  });

  it("takes a postgres:// ISSUER_DATABASE_URL and keeps it verbatim", () => {
    const url = "postgres://issuer:pw@db.example.com:5432/parts";
    expect(loadConfig({ ISSUER_DATABASE_URL: url }).ISSUER_DATABASE_URL).toBe(url);
  });

  it("maps the pool variables to the pool's settings", () => {
    const config = loadConfig({ ISSUER_DATABASE_POOL_MAX: "3", ISSUER_DATABASE_CONNECT_TIMEOUT_MS: "700", ISSUER_DATABASE_STATEMENT_TIMEOUT_MS: "0", ISSUER_DATABASE_IDLE_TIMEOUT_MS: "900" });
    expect(poolSettings(config)).toEqual({ max: 3, connectionTimeoutMillis: 700, statementTimeoutMillis: 0, idleTimeoutMillis: 900 });
  });

  it("covers every variable of the schema", () => {
    expect(new Set(badValues.map(([name]) => name))).toEqual(new Set(Object.keys(IssuerConfig.shape)));
  });
});
