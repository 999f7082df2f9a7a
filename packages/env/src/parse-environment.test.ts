import { describe, expect, it } from "vitest";
import { z } from "zod";
import { absoluteUrl, booleanText, integer, list, oneOf, text } from "./env-values.ts";
import { parseEnvironment } from "./parse-environment.ts";

const Schema = z.object({
  NAME: text(),
  PORT: integer(1, 10).default(5),
  FLAG: booleanText().default(false),
  ITEMS: list("item").optional(),
  LEVEL: oneOf(["a", "b"]).default("a"),
  URL_VALUE: absoluteUrl().optional(),
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
