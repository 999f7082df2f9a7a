import { describe, expect, it } from "vitest";
import { isLoopbackUrl } from "./loopback.ts";

describe("isLoopbackUrl", () => {
  it.each(["http://localhost:4000", "http://127.0.0.1", "https://[::1]:8443/x", new URL("http://LOCALHOST")])("%s is loopback", (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });
  it.each(["http://127.0.0.2", "http://localhost.example.com", "http://10.0.0.1", "not a url", ""])("%j is not", (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});
