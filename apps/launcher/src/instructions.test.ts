import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatInstructions } from "./instructions.ts";

const connection = {
  issuer: "http://127.0.0.1:4000",
  clientId: "c-1",
  clientSecret: "s'ecret",
  scope: "parts:read parts:write",
  partsUrl: "http://127.0.0.1:3000",
};

describe("printed instructions", () => {
  it("export every variable a caller needs, shell-quoted so a shell reads back the exact values", () => {
    const exports = formatInstructions(connection)
      .split("\n")
      .filter((line) => line.startsWith("export "))
      .join("\n");
    const echoed = execFileSync("sh", ["-c", `${exports}\nprintf '%s|%s|%s|%s|%s' "$ISSUER" "$CLIENT_ID" "$CLIENT_SECRET" "$SCOPE" "$PARTS_URL"`], {
      encoding: "utf8",
    });
    expect(echoed).toBe("http://127.0.0.1:4000|c-1|s'ecret|parts:read parts:write|http://127.0.0.1:3000");
  });

  it("show a token request, then a create and a list on the REST routes", () => {
    const text = formatInstructions(connection);
    expect(text).toContain('"$ISSUER/token"');
    expect(text).toContain("grant_type=client_credentials");
    expect(text).toMatch(/-d '\{"partNumber":"PN-1001",[^']*\}' "\$PARTS_URL\/api\/parts"/);
    expect(text).toContain('"$PARTS_URL/api/parts?modelNumber=M-1&limit=10"');
  });

  it("point a browser at the docs page and the OpenAPI document", () => {
    expect(formatInstructions(connection)).toContain("http://127.0.0.1:3000/docs (Swagger UI;");
    expect(formatInstructions(connection)).toContain("http://127.0.0.1:3000/openapi.json");
  });
});
