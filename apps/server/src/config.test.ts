import { describe, expect, it } from "vitest";
import { loadConfig, ServerConfig } from "./config.ts";

const issuer = "https://id.example.com/oauth2/default";

describe("loadConfig", () => {
  it("applies defaults", () => {
    expect(loadConfig({ ISSUER: issuer })).toMatchObject({
      PORT: 3000,
      HOST: "127.0.0.1",
      DATABASE_FILE: "./data/parts.db",
      AUDIENCE: "api://parts",
      ACCEPT_UNTYPED_TOKENS: false,
      REQUIRE_IF_MATCH: false,
      LOG_LEVEL: "info",
      JWKS_COOLDOWN_MS: 30_000,
      HEADERS_TIMEOUT_MS: 10_000,
      REQUEST_TIMEOUT_MS: 30_000,
      MAX_EVENT_LOOP_DELAY_MS: 500,
      SHUTDOWN_GRACE_MS: 10_000,
      DATABASE_POOL_MAX: 10,
      DATABASE_CONNECT_TIMEOUT_MS: 2000,
      DATABASE_STATEMENT_TIMEOUT_MS: 5000,
      DATABASE_IDLE_TIMEOUT_MS: 30_000,
    });
    expect(loadConfig({ ISSUER: issuer })).not.toHaveProperty("MAX_HEAP_USED_MB");
    expect(loadConfig({ ISSUER: issuer })).not.toHaveProperty("DATABASE_URL");
  });

  it("leaves every rate limit off unless set, and reads the limit syntax", () => {
    const defaults = loadConfig({ ISSUER: issuer });
    expect(defaults.RATE_LIMIT_READ).toBeUndefined();
    expect(defaults.RATE_LIMIT_WRITE).toBeUndefined();
    expect(defaults.RATE_LIMIT_UNAUTHENTICATED).toBeUndefined();
    expect(defaults.TRUSTED_PROXIES).toBeUndefined();
    const set = loadConfig({ ISSUER: issuer, RATE_LIMIT_READ: "600/minute,burst=100", RATE_LIMIT_WRITE: "60/minute", TRUSTED_PROXIES: "127.0.0.1,10.0.0.0/8" });
    expect(set.RATE_LIMIT_READ).toEqual({ points: 600, windowSeconds: 60, burst: 100 });
    expect(set.RATE_LIMIT_WRITE).toEqual({ points: 60, windowSeconds: 60, burst: 0 });
    expect(set.TRUSTED_PROXIES!.check("10.1.2.3")).toBe(true);
    expect(set.TRUSTED_PROXIES!.check("192.0.2.1")).toBe(false);
  });

  it("names a bad rate limit or trusted proxy in one line", () => {
    expect(() => loadConfig({ ISSUER: issuer, RATE_LIMIT_WRITE: "60 per minute", TRUSTED_PROXIES: "proxy.internal" })).toThrow(
      new Error(
        "invalid configuration: RATE_LIMIT_WRITE: must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional); TRUSTED_PROXIES: must list IP addresses or CIDR ranges (not an IP address or CIDR range: proxy.internal)",
      ),
    );
  });

  it("leaves tracing unconfigured unless an OTLP endpoint is set, and reads the sampler ratio", () => {
    expect(loadConfig({ ISSUER: issuer })).toMatchObject({ OTEL_SDK_DISABLED: false, OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "parentbased_always_on", OTEL_SERVICE_NAME: "parts-server" });
    expect(loadConfig({ ISSUER: issuer })).not.toHaveProperty("OTEL_EXPORTER_OTLP_ENDPOINT");
    expect(loadConfig({ ISSUER: issuer, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" })).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
  });

  it("names a missing ISSUER", () => {
    expect(() => loadConfig({})).toThrow(new Error("invalid configuration: ISSUER: is required"));
  });

  it("accepts plain http only for loopback issuers", () => {
    expect(loadConfig({ ISSUER: "http://127.0.0.1:4000" }).ISSUER).toBe("http://127.0.0.1:4000");
    expect(loadConfig({ ISSUER: "http://localhost:4000" }).ISSUER).toBe("http://localhost:4000");
    expect(loadConfig({ ISSUER: "http://[::1]:4000" }).ISSUER).toBe("http://[::1]:4000");
  });

  it("parses numbers, booleans and comma-separated lists", () => {
    expect(
      loadConfig({
        ISSUER: issuer,
        PORT: "0",
        ACCEPT_UNTYPED_TOKENS: "1",
        TOKEN_ALGORITHMS: "RS256, ES256,",
        SCOPE_CLAIMS: "scp,roles",
        MAX_HEAP_USED_MB: "512",
        HEADERS_TIMEOUT_MS: "1500",
        REQUEST_TIMEOUT_MS: "2500",
        JWKS_COOLDOWN_MS: "2000",
      }),
    ).toMatchObject({
      PORT: 0,
      ACCEPT_UNTYPED_TOKENS: true,
      TOKEN_ALGORITHMS: ["RS256", "ES256"],
      SCOPE_CLAIMS: ["scp", "roles"],
      MAX_HEAP_USED_MB: 512,
      HEADERS_TIMEOUT_MS: 1500,
      REQUEST_TIMEOUT_MS: 2500,
      JWKS_COOLDOWN_MS: 2000,
    });
  });

  it("takes a PostgreSQL URL and pool settings", () => {
    expect(
      loadConfig({
        ISSUER: issuer,
        DATABASE_URL: "postgresql://parts:pw@db.example.com:5432/parts",
        DATABASE_POOL_MAX: "4",
        DATABASE_CONNECT_TIMEOUT_MS: "500",
        DATABASE_STATEMENT_TIMEOUT_MS: "0",
        DATABASE_IDLE_TIMEOUT_MS: "1000",
      }),
    ).toMatchObject({
      DATABASE_URL: "postgresql://parts:pw@db.example.com:5432/parts",
      DATABASE_POOL_MAX: 4,
      DATABASE_CONNECT_TIMEOUT_MS: 500,
      DATABASE_STATEMENT_TIMEOUT_MS: 0,
      DATABASE_IDLE_TIMEOUT_MS: 1000,
    });
  });

  it.each(["postgres://parts:s3cret-pw@db.example.com:port/parts", "postgres://parts:s3cret-pw%@db.example.com/parts", "mysql://parts:s3cret-pw@db/parts"])(
    "names DATABASE_URL=%s without echoing its password",
    (url) => {
      expect(() => loadConfig({ ISSUER: issuer, DATABASE_URL: url })).toThrow(/^invalid configuration: DATABASE_URL: must /);
      expect(() => loadConfig({ ISSUER: issuer, DATABASE_URL: url })).not.toThrow(/s3cret/);
    },
  );

  it("reports every invalid variable in one line, one reason each", () => {
    expect(() => loadConfig({ ISSUER: "", PORT: "70000", ACCEPT_UNTYPED_TOKENS: "maybe" })).toThrow(
      new Error(
        "invalid configuration: PORT: must be an integer from 0 to 65535; ISSUER: must not be empty; ACCEPT_UNTYPED_TOKENS: must be one of true, false, 1, 0",
      ),
    );
  });
});

const url = "must be an absolute URL such as https://id.example.com";
const https = "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])";
const empty = "must not be empty";
const timer = (min: number) => `must be an integer from ${min} to 2147483647`;
const levels = "must be one of fatal, error, warn, info, debug, trace, silent";

// Every variable with bad values of each kind that applies: empty, malformed, out of range, unknown enum.
const badValues: [name: string, value: string, reason: string][] = [
  ["PORT", "", empty],
  ["PORT", "http", "must be an integer from 0 to 65535"],
  ["PORT", "-1", "must be an integer from 0 to 65535"],
  ["PORT", "3000.5", "must be an integer from 0 to 65535"],
  ["PORT", "65536", "must be an integer from 0 to 65535"],
  ["HOST", "", empty],
  ["METRICS_PORT", "70000", "must be an integer from 0 to 65535"],
  ["METRICS_HOST", "", empty],
  ["DATABASE_FILE", "", empty],
  ["DATABASE_URL", "", empty],
  ["DATABASE_URL", "https://db.example.com/parts", "must start with postgres:// or postgresql://"],
  ["DATABASE_URL", "postgres://u:pw@db.example.com:99999/parts", "must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)"],
  ["DATABASE_URL", "postgres://u:p%zz@db.example.com/parts", "must percent-encode special characters in the user name and password (% as %25)"],
  ["DATABASE_POOL_MAX", "0", "must be an integer from 1 to 1000"],
  ["DATABASE_POOL_MAX", "", empty],
  ["DATABASE_CONNECT_TIMEOUT_MS", "50", timer(100)],
  ["DATABASE_STATEMENT_TIMEOUT_MS", "-1", timer(0)],
  ["DATABASE_IDLE_TIMEOUT_MS", "30s", timer(0)],
  ["ISSUER", "", empty],
  ["ISSUER", "not-a-url", url],
  ["ISSUER", "id.example.com", url],
  ["ISSUER", "http://id.example.com", https],
  ["ISSUER", "ftp://id.example.com", https],
  ["AUDIENCE", "", empty],
  ["ACCEPT_UNTYPED_TOKENS", "", empty],
  ["ACCEPT_UNTYPED_TOKENS", "yes", "must be one of true, false, 1, 0"],
  ["TOKEN_ALGORITHMS", "", empty],
  ["TOKEN_ALGORITHMS", " , ", "must name at least one algorithm"],
  ["TOKEN_ALGORITHMS", "RS256,HS256", "must list only asymmetric JWS algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519), got HS256"],
  ["TOKEN_ALGORITHMS", "none", "must list only asymmetric JWS algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519), got none"],
  ["SCOPE_CLAIMS", "", empty],
  ["SCOPE_CLAIMS", ",", "must name at least one claim"],
  ["LOG_LEVEL", "", empty],
  ["LOG_LEVEL", "verbose", levels],
  ["JWKS_COOLDOWN_MS", "", empty],
  ["JWKS_COOLDOWN_MS", "10", timer(1000)],
  ["HEADERS_TIMEOUT_MS", "0", timer(100)],
  ["HEADERS_TIMEOUT_MS", "1e4", timer(100)],
  ["HEADERS_TIMEOUT_MS", "40000", "must not exceed REQUEST_TIMEOUT_MS"],
  ["REQUEST_TIMEOUT_MS", "", empty],
  ["REQUEST_TIMEOUT_MS", "2147483648", timer(100)],
  ["MAX_EVENT_LOOP_DELAY_MS", "5", timer(10)],
  ["MAX_HEAP_USED_MB", "", empty],
  ["MAX_HEAP_USED_MB", "8", "must be an integer from 16 to 1048576"],
  ["REQUIRE_IF_MATCH", "", empty],
  ["REQUIRE_IF_MATCH", "on", "must be one of true, false, 1, 0"],
  ["SHUTDOWN_GRACE_MS", "", empty],
  ["SHUTDOWN_GRACE_MS", "soon", timer(0)],
  ["RATE_LIMIT_READ", "", empty],
  ["RATE_LIMIT_READ", "0/minute", "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)"],
  ["RATE_LIMIT_WRITE", "60/day", "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)"],
  ["RATE_LIMIT_UNAUTHENTICATED", "many", "must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)"],
  ["TRUSTED_PROXIES", ",", "must name at least one proxy address"],
  ["TRUSTED_PROXIES", "10.0.0.0/40", "must list IP addresses or CIDR ranges (not an IP address or CIDR range: 10.0.0.0/40)"],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "must be an http or https URL such as http://collector:4318"],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "not a url", url],
  ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", empty],
  ["OTEL_EXPORTER_OTLP_HEADERS", "", empty],
  ["OTEL_SDK_DISABLED", "yes", "must be one of true, false, 1, 0"],
  ["OTEL_TRACES_EXPORTER", "jaeger", "must be one of otlp, none"],
  ["OTEL_TRACES_SAMPLER", "sometimes", "must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"],
  ["OTEL_TRACES_SAMPLER_ARG", "1.5", "must be a number from 0 to 1"],
  ["OTEL_SERVICE_NAME", "", empty],
  ["OTEL_RESOURCE_ATTRIBUTES", "", empty],
];

describe("an invalid value stops with one line naming the variable", () => {
  it.each(badValues)("%s=%j: %s", (name, value, reason) => {
    expect(() => loadConfig({ ISSUER: issuer, [name]: value })).toThrow(new Error(`invalid configuration: ${name}: ${reason}`));
  });

  it("covers every variable of the schema", () => {
    expect(new Set(badValues.map(([name]) => name))).toEqual(new Set(Object.keys(ServerConfig.shape)));
  });
});
