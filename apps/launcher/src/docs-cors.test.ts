import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { issuerCorsOrigins } from "./docs-cors.ts";

describe("the issuer's CORS origins under the launcher", () => {
  it("are the API's origin when the caller lists none", () => {
    expect(issuerCorsOrigins("http://127.0.0.1:3000", loadConfig({}).ISSUER_CORS_ORIGINS)).toBe("http://127.0.0.1:3000");
    expect(issuerCorsOrigins("http://127.0.0.1:3000", loadConfig({ ISSUER_CORS_ORIGINS: "" }).ISSUER_CORS_ORIGINS)).toBe("http://127.0.0.1:3000");
  });

  it("keep the caller's origins and add the API's once", () => {
    const listed = loadConfig({ ISSUER_CORS_ORIGINS: "https://app.example, ,http://127.0.0.1:3000" }).ISSUER_CORS_ORIGINS;
    expect(issuerCorsOrigins("http://127.0.0.1:3000", listed)).toBe("https://app.example,http://127.0.0.1:3000");
  });
});
