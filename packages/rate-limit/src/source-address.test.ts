import { describe, expect, it } from "vitest";
import { addressKey, sourceAddress, trustedProxiesFrom } from "./source-address.ts";

describe("sourceAddress", () => {
  it("ignores X-Forwarded-For when no proxy is trusted: a caller cannot pick its own address", () => {
    expect(sourceAddress("203.0.113.9", "198.51.100.1")).toBe("203.0.113.9");
    expect(sourceAddress("127.0.0.1", "198.51.100.1", trustedProxiesFrom(["10.0.0.0/8"]))).toBe("127.0.0.1");
  });

  it("reads X-Forwarded-For from the right behind a trusted proxy; spoofed entries on the left do not count", () => {
    const trusted = trustedProxiesFrom(["127.0.0.1", "10.0.0.0/8"]);
    expect(sourceAddress("127.0.0.1", "1.2.3.4, 203.0.113.9", trusted)).toBe("203.0.113.9");
    expect(sourceAddress("127.0.0.1", ["1.2.3.4", "203.0.113.9, 10.1.2.3"], trusted)).toBe("203.0.113.9");
  });

  it("stops at a hop that is no address", () => {
    const trusted = trustedProxiesFrom(["127.0.0.1"]);
    expect(sourceAddress("127.0.0.1", "203.0.113.9, junk", trusted)).toBe("127.0.0.1");
    expect(sourceAddress("127.0.0.1", undefined, trusted)).toBe("127.0.0.1");
  });

  it("reports an IPv4 peer of a dual-stack socket as IPv4", () => {
    expect(sourceAddress("::ffff:192.0.2.1", undefined)).toBe("192.0.2.1");
    expect(sourceAddress(undefined, undefined)).toBe("unknown");
  });
});

describe("addressKey", () => {
  it("keys IPv6 callers by their /64", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("192.0.2.1")).toBe("192.0.2.1");
  });
});

describe("trustedProxiesFrom", () => {
  it.each(["localhost", "10.0.0.0/33", "10.0.0.0/8/1", "::1/129"])("refuses %s", (entry) => {
    expect(() => trustedProxiesFrom([entry])).toThrow(`not an IP address or CIDR range: ${entry}`);
  });
});
