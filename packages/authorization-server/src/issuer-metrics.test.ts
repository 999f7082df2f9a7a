import { parseScrape, sampleTotal, type PromMetrics } from "@parts/metrics/scrape";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { createIssuerMetrics, scopeSetLabel, type IssuerMetrics } from "./issuer-metrics.ts";
import { basic, registrationToken, requestToken, startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
let issuer: RunningIssuer;
let metrics: IssuerMetrics;

beforeAll(async () => {
  metrics = createIssuerMetrics();
  issuer = await startRealIssuer(`${dir.path}/issuer.db`, { metrics });
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

const scrape = async (): Promise<PromMetrics> => parseScrape(await metrics.registry.metrics());
const register = (token?: string) =>
  fetch(`${issuer.url}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ client_name: "Registered", grant_types: ["client_credentials"], response_types: [], scope: "parts:read" }),
  }).then((response) => response.status);

describe("issuer metrics", () => {
  it("count tokens issued by client and scope set, and refusals by OAuth error", async () => {
    const client = await issuer.clients.create({ name: "Both", scope: "parts:read parts:write" });
    const auth = basic(client.clientId, client.clientSecret!);
    expect((await requestToken(issuer.url, { grant_type: "client_credentials", scope: "parts:write parts:read" }, auth)).status).toBe(200);
    expect((await requestToken(issuer.url, { grant_type: "client_credentials", scope: "parts:read" }, auth)).status).toBe(200);
    expect((await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(client.clientId, "wrong-secret"))).status).toBe(401);
    expect((await requestToken(issuer.url, { grant_type: "client_credentials", scope: "parts:admin" }, auth)).status).toBe(400);
    const scraped = await scrape();
    expect(sampleTotal(scraped, "parts_issuer_tokens_issued_total", { client: client.clientId, scope: "parts:read parts:write" })).toBe(1);
    expect(sampleTotal(scraped, "parts_issuer_tokens_issued_total", { client: client.clientId, scope: "parts:read" })).toBe(1);
    expect(sampleTotal(scraped, "parts_issuer_token_failures_total", { error: "invalid_client" })).toBe(1);
    expect(sampleTotal(scraped, "parts_issuer_token_failures_total", { error: "invalid_scope" })).toBe(1);
  });

  it("count registrations created and refused", async () => {
    expect(await register(registrationToken)).toBe(201);
    expect(await register("not-the-registration-token")).toBe(401);
    const scraped = await scrape();
    expect(sampleTotal(scraped, "parts_issuer_registrations_total", { result: "created" })).toBe(1);
    expect(sampleTotal(scraped, "parts_issuer_registrations_total", { result: "refused" })).toBe(1);
  });

  it("report the current signing key's age, and count a rotation", async () => {
    const before = await scrape();
    expect(sampleTotal(before, "parts_issuer_key_rotations_total")).toBe(0);
    const age = sampleTotal(before, "parts_issuer_signing_key_age_seconds");
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(120);
    await issuer.keys.rotate();
    const after = await scrape();
    expect(sampleTotal(after, "parts_issuer_key_rotations_total")).toBe(1);
    expect(sampleTotal(after, "parts_issuer_signing_key_age_seconds")).toBeLessThan(5);
  });

  it("label a scope set with the known scopes only, sorted", () => {
    expect(scopeSetLabel("parts:write parts:read")).toBe("parts:read parts:write");
    expect(scopeSetLabel("parts:read something-else")).toBe("parts:read");
    expect(scopeSetLabel(undefined)).toBe("none");
  });
});
