/**
 * Canonical bytes and content ids. A bundle is hashed and signed as its RFC 8785 (JCS) canonical
 * JSON, so the same content gives the same bytes whatever the key order or whitespace of the file.
 */
import canonicalize from "canonicalize";
import { sha256Hex } from "../data/digest.ts";
import type { UnsignedBundle } from "./schema.ts";

/** A bundle's content, with or without its id and signature. */
export type BundleBody = Omit<UnsignedBundle, "id">;

const enc = new TextEncoder();

/** RFC 8785 canonical JSON of a JSON value. */
export function canonicalJson(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new Error("value has no JSON form");
  return s;
}

/** The bytes a bundle's content id covers: everything but `id` and `signature`. */
export function idPayload(b: BundleBody): Uint8Array {
  const { id: _id, signature: _sig, ...rest } = b as BundleBody & {
    id?: string;
    signature?: unknown;
  };
  return enc.encode(canonicalJson(rest));
}

/** The bytes a signature covers: everything but the signature block (the id included). */
export function signedPayload(b: BundleBody): Uint8Array {
  const { signature: _sig, ...rest } = b as BundleBody & { signature?: unknown };
  return enc.encode(canonicalJson(rest));
}

/** The content id: "sha256:" + hex SHA-256 of {@link idPayload}. */
export async function contentId(b: BundleBody): Promise<string> {
  return `sha256:${await sha256Hex(idPayload(b))}`;
}

/** Base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of base64 text; throws on anything that is not base64. */
export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A key's name: "ed25519:" + hex of the first 16 bytes of SHA-256 of the raw public key (here,
 * not in keys.ts, so that the browser's signing code can use it without the key files' I/O).
 */
export async function fingerprint(rawPublicKey: Uint8Array): Promise<string> {
  const h = new Uint8Array(
    await crypto.subtle.digest("SHA-256", rawPublicKey as Uint8Array<ArrayBuffer>),
  );
  return `ed25519:${toHex(h.subarray(0, 16))}`;
}
