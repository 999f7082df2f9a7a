/**
 * The /docs page in a real headless Chromium (Debian's, driven by playwright-core) against real processes: the
 * issuer (apps/issuer, CORS open to the API's origin, as `pnpm start` sets it) and the server's production
 * bundle (dist/bin/main.js, which serves Swagger UI's files from dist/swagger-ui/). A reader opens the page,
 * sees every operation of /openapi.json, authorizes with client credentials in the page's dialog and runs
 * GET /api/parts; the page must not trip its own CSP. The screenshot is kept at artifacts/docs-page.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./harness/chromium.ts";
import { fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

const screenshotPath = fileURLToPath(new URL("../artifacts/docs-page.png", import.meta.url));

/** Conditions get this long: the machine is small and shared, and nothing here is a timing assertion. */
const patience = 60_000;
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

let dir: string;
let issuer: IssuerProcess;
let bundled: ServerProcess;
let fromSource: ServerProcess;
let client: { clientId: string; clientSecret: string };
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

/**
 * CSP violations as the page itself sees them (an init script runs outside the page's CSP). Browser-side code
 * is a string here: this package compiles without the DOM library.
 */
const recordViolations = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(event.effectiveDirective + " " + event.blockedURI));`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-it-docs-"));
  const issuerDb = join(dir, "issuer.db");
  // The server's port is chosen first: the issuer's CORS list must name the page's origin.
  const serverPort = await freePort();
  const origin = `http://127.0.0.1:${serverPort}`;
  issuer = await startIssuerProcess({ port: await freePort(), databaseFile: issuerDb, env: { ISSUER_CORS_ORIGINS: origin } });
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  client = (await admin.clients.create({ name: "docs page reader", scope: "parts:read parts:write" })) as typeof client;
  admin.close();
  [bundled, fromSource, browser] = await Promise.all([
    startServer({ issuer: issuer.url, entry: "bundle", env: { PORT: String(serverPort) } }),
    startServer({ issuer: issuer.url }),
    launchChromium(),
  ]);
  const token = await fetchToken(issuer.url, client, "parts:write");
  const created = await fetch(`${bundled.url}/api/parts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ partNumber: "DOCS-1", modelNumber: "M-DOCS", name: "Shown on the docs page" }),
  });
  expect(created.status).toBe(201);

  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(patience);
  await page.addInitScript({ content: recordViolations });
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on("request", (request) => {
    const { origin: requested } = new URL(request.url());
    if (requested !== bundled.url && requested !== issuer.url) foreignRequests.push(request.url());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await disposeServer(bundled);
  await disposeServer(fromSource);
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The operations of the served document, as "METHOD path". */
async function documentOperations(): Promise<string[]> {
  const document = (await (await fetch(`${bundled.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => methods.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe("the /docs page in headless Chromium", () => {
  it("serves the same page from the bundle as from source", async () => {
    const [fromBundle, fromTsx] = await Promise.all([bundled.url, fromSource.url].map(async (base) => (await fetch(`${base}/docs`)).text()));
    expect(fromBundle).toContain('<div id="swagger-ui"></div>');
    expect(fromBundle).toBe(fromTsx);
  });

  it("renders every operation of /openapi.json", { timeout: 180_000 }, async () => {
    const expected = await documentOperations();
    expect(expected.length).toBeGreaterThanOrEqual(5);
    await page.goto(`${bundled.url}/docs`, { timeout: patience });
    await page.waitForFunction(`document.querySelectorAll(".opblock").length === ${expected.length}`, undefined, { timeout: patience });
    const rendered = await page.locator(".opblock .opblock-summary").evaluateAll((summaries) =>
      summaries.map((summary) => `${summary.querySelector(".opblock-summary-method")!.textContent} ${summary.querySelector(".opblock-summary-path")!.getAttribute("data-path")}`),
    );
    expect(rendered.sort()).toEqual(expected.sort());
  });

  it("authorizes with client credentials through the page's dialog (a CORS call to the issuer)", { timeout: 180_000 }, async () => {
    await page.locator(".auth-wrapper button.authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.locator("#client_id_clientCredentials").fill(client.clientId);
    await dialog.locator("#client_secret_clientCredentials").fill(client.clientSecret);
    await dialog.locator("label[for='parts:read-clientCredentials-checkbox-oauth2']").click();
    const tokenAnswer = page.waitForResponse((response) => response.url().startsWith(issuer.url) && response.request().method() === "POST");
    await dialog.locator(".auth-btn-wrapper button.authorize").click();
    const answer = await tokenAnswer;
    expect(answer.status()).toBe(200);
    expect(answer.headers()["access-control-allow-origin"]).toBe(bundled.url);
    // Swagger UI then masks the credentials, says "Authorized" and turns the button into a logout.
    await dialog.getByRole("heading", { name: "Authorized" }).waitFor();
    await dialog.getByRole("button", { name: "Remove authorization" }).waitFor();
    await dialog.locator(".auth-btn-wrapper button.btn-done").click();
    await dialog.waitFor({ state: "detached" });
  });

  it("runs GET /api/parts with the token ('Try it out' → 200) and shows the part", { timeout: 180_000 }, async () => {
    const operation = page.locator(".opblock-get", { has: page.locator(".opblock-summary-path[data-path='/api/parts']") });
    await operation.locator(".opblock-summary-control").click();
    await operation.locator("button.try-out__btn").click();
    const apiAnswer = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/parts" && response.request().method() === "GET");
    await operation.locator("button.execute").click();
    const answer = await apiAnswer;
    expect(answer.status()).toBe(200);
    expect(answer.request().headers().authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const status = operation.locator(".live-responses-table .response .response-col_status").first();
    await expect.poll(() => status.textContent(), { timeout: patience }).toContain("200");
    await expect.poll(() => operation.locator(".live-responses-table .response .response-col_description").first().textContent(), { timeout: patience }).toContain("DOCS-1");
    mkdirSync(join(screenshotPath, ".."), { recursive: true });
    // The curl box shows the bearer token: masked, so the kept artefact holds no credential.
    await page.screenshot({ path: screenshotPath, fullPage: true, mask: [page.locator(".curl-command")] });
  });

  it("trips no CSP rule, logs no error and reaches nothing but the server and the issuer", async () => {
    const violations = await page.evaluate<string[]>("window.cspViolations");
    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    // The recorder does see a violation: an image from another origin is refused and reported.
    await page.evaluate(`new Image().src = "https://cdn.example.invalid/pixel.png"`);
    await expect.poll(() => page.evaluate<string[]>("window.cspViolations"), { timeout: patience }).toEqual(["img-src https://cdn.example.invalid/pixel.png"]);
  });
});
