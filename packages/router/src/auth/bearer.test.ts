import { describe, expect, it } from "vitest";
import { bearerTokenFrom } from "./bearer.ts";
import type { AuthError } from "./errors.ts";

const codeOf = (header: string | readonly string[] | undefined) => {
  try {
    bearerTokenFrom(header);
    return "ok";
  } catch (error) {
    return (error as AuthError).code;
  }
};

describe("bearerTokenFrom", () => {
  it("accepts the scheme in any case", () => {
    expect(bearerTokenFrom("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerTokenFrom("bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerTokenFrom("BEARER abc")).toBe("abc");
  });
  it("has no error code without a header", () => {
    expect(codeOf(undefined)).toBe("missing_token");
  });
  it.each(["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c d.e.f", "Bearer tök", "Token abc"])(
    "rejects %j as invalid_request",
    (header) => expect(codeOf(header)).toBe("invalid_request"),
  );
  it("refuses two Authorization headers, even two equal ones, as a 400 invalid_request", () => {
    expect(codeOf(["Bearer abc", "Bearer def"])).toBe("invalid_request");
    expect(codeOf(["Bearer abc", "Bearer abc"])).toBe("invalid_request");
    try {
      bearerTokenFrom(["Bearer abc", "Bearer def"]);
    } catch (error) {
      expect((error as AuthError).status).toBe(400);
      expect((error as AuthError).description).toBe("more than one Authorization header");
    }
  });
  it("takes a single header given as a list", () => {
    expect(bearerTokenFrom(["Bearer abc"])).toBe("abc");
  });
});
