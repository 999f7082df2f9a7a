import { decodeJwt, decodeProtectedHeader } from "jose";

/** The readable parts of a JWT access token, or undefined for opaque tokens. Nothing is verified here. */
export function readJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}
