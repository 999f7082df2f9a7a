import { BlockList, isIP } from "node:net";
import { list } from "@parts/env";

/** `::ffff:192.0.2.1` (how a dual-stack socket reports an IPv4 peer) as `192.0.2.1`; zone ids dropped. */
function normalize(address: string): string {
  const plain = address.trim().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  return mapped ? mapped[1]! : plain.toLowerCase();
}

/** The first four groups of an IPv6 address: one holder of a /64 can use 2^64 addresses, so they count as one. */
function ipv6Prefix64(address: string): string {
  const [head = "", tail] = address.split("::");
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

/** The key a source address is limited under: IPv4 as is, IPv6 by its /64. */
export function addressKey(address: string): string {
  return isIP(address) === 6 ? ipv6Prefix64(address) : address;
}

/** Proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges. */
export type TrustedProxies = BlockList;

/** A `TrustedProxies` from entries such as `127.0.0.1`, `10.0.0.0/8`, `::1`; throws on an entry it cannot read. */
export function trustedProxiesFrom(entries: readonly string[]): TrustedProxies {
  const trusted = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix, extra] = entry.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(bits <= maxBits))) throw new Error(`not an IP address or CIDR range: ${entry}`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, bits, type);
  }
  return trusted;
}

const isTrusted = (trusted: TrustedProxies, address: string) => trusted.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/** An environment variable listing trusted proxies (`TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8`), in @parts/env style. */
export const trustedProxiesVariable = () =>
  list("proxy address").transform((entries, ctx) => {
    try {
      return trustedProxiesFrom(entries);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `must list IP addresses or CIDR ranges (${(error as Error).message})` });
      return new BlockList();
    }
  });

/**
 * The address a request comes from: the socket's peer, unless that peer is a trusted proxy, in which case
 * `X-Forwarded-For` is read from the right (each proxy appends the address it received from) and the first
 * hop that is not itself a trusted proxy is the caller. Without trusted proxies the header is ignored: anyone
 * can send it, and believing it would let a caller pick a fresh address per request.
 */
export function sourceAddress(socketAddress: string | undefined, forwardedFor: string | readonly string[] | undefined, trusted?: TrustedProxies): string {
  let address = normalize(socketAddress ?? "");
  if (isIP(address) === 0) return "unknown";
  if (trusted === undefined || !isTrusted(trusted, address)) return address;
  const hops = (typeof forwardedFor === "string" ? [forwardedFor] : (forwardedFor ?? [])).flatMap((value) => value.split(","));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!);
    // A hop that is no address was written by someone untrusted: the last address a trusted proxy saw stands.
    if (isIP(hop) === 0) return address;
    address = hop;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return address;
}
