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

  it("show a token request and a parts.list query with URL-encoded JSON input", () => {
    const text = formatInstructions(connection);
    expect(text).toContain('"$ISSUER/token"');
    expect(text).toContain("grant_type=client_credentials");
    const query = /"\$PARTS_URL\/trpc\/parts\.list\?input=([^"]+)"/.exec(text);
    expect(JSON.parse(decodeURIComponent(query![1]!))).toEqual({ limit: 10 });
  });
});
