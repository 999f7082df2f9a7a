import { describe, expect, it } from "vitest";
import { z } from "zod";
import { absoluteUrl, booleanText, integer, list, oneOf, postgresUrl, text } from "./env-values.ts";
import { parseEnvironment } from "./parse-environment.ts";

const Schema = z.object({
  NAME: text(),
  PORT: integer(1, 10).default(5),
  FLAG: booleanText().default(false),
  ITEMS: list("item").optional(),
  LEVEL: oneOf(["a", "b"]).default("a"),
  URL_VALUE: absoluteUrl().optional(),
  DB_URL: postgresUrl().optional(),
});

const error = (env: NodeJS.ProcessEnv) => {
  try {
    parseEnvironment(Schema, env);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

describe("parseEnvironment", () => {
  it("applies defaults and converts values", () => {
    expect(parseEnvironment(Schema, { NAME: "x", FLAG: "1", ITEMS: " a, ,b " })).toEqual({ NAME: "x", PORT: 5, FLAG: true, ITEMS: ["a", "b"], LEVEL: "a" });
  });

  it.each([
    [{}, "invalid configuration: NAME: is required"],
    [{ NAME: "" }, "invalid configuration: NAME: must not be empty"],
    [{ NAME: "x", PORT: "" }, "invalid configuration: PORT: must not be empty"],
    [{ NAME: "x", PORT: "11" }, "invalid configuration: PORT: must be an integer from 1 to 10"],
    [{ NAME: "x", PORT: "1e1" }, "invalid configuration: PORT: must be an integer from 1 to 10"],
    [{ NAME: "x", FLAG: "yes" }, "invalid configuration: FLAG: must be one of true, false, 1, 0"],
    [{ NAME: "x", ITEMS: " , " }, "invalid configuration: ITEMS: must name at least one item"],
    [{ NAME: "x", LEVEL: "c" }, "invalid configuration: LEVEL: must be one of a, b"],
    [{ NAME: "x", URL_VALUE: "not-a-url" }, "invalid configuration: URL_VALUE: must be an absolute URL such as https://id.example.com"],
  ])("%j → %s", (env, message) => {
    expect(error(env)).toBe(message);
  });

  it("names every bad variable once, in one line, without their values", () => {
    const message = error({ NAME: "", PORT: "secret-value-99" })!;
    expect(message).toBe("invalid configuration: NAME: must not be empty; PORT: must be an integer from 1 to 10");
    expect(message).not.toContain("secret-value");
  });
});

describe("postgresUrl", () => {
  it.each(["postgres://parts:s3cret@db.example.com:5432/parts", "postgresql://db.example.com/parts?sslmode=require", "postgres:///parts?host=/run/postgresql", "postgres://u:p%25ss@[::1]/x"])(
    "accepts %s",
    (url) => {
      expect(parseEnvironment(Schema, { NAME: "x", DB_URL: url }).DB_URL).toBe(url);
    },
  );

  it.each([
    ["postgres://parts:s3cret@db.example.com:port/parts", "must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)"],
    ["postgres://parts:s3cret@db.example.com:99999/parts", "must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)"],
    ["parts:s3cret@db.example.com/parts", "must start with postgres:// or postgresql://"],
    ["mysql://parts:s3cret@db.example.com/parts", "must start with postgres:// or postgresql://"],
    ["https://parts:s3cret@db.example.com/parts", "must start with postgres:// or postgresql://"],
    ["postgres://parts:s3cret%zz@db.example.com/parts", "must percent-encode special characters in the user name and password (% as %25)"],
  ])("refuses %s without quoting the password", (url, reason) => {
    const message = error({ NAME: "x", DB_URL: url })!;
    expect(message).toBe(`invalid configuration: DB_URL: ${reason}`);
    expect(message).not.toContain("s3cret");
  });
});
