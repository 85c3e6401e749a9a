/**
 * Ed25519 signatures over a bundle's RFC 8785 canonical JSON (everything but the signature
 * block). The block carries the public key itself, so a verifier can tell a valid signature by a
 * key it does not trust from a signature that does not match the content.
 */
import { fingerprint, fromBase64, signedPayload, toBase64 } from "./canonical.ts";
import type { SigningKey, TrustedKeys } from "./keys.ts";
import type { Bundle, Signature, UnsignedBundle } from "./schema.ts";

/**
 * A bundle's bytes as the store writes them (one-space indented JSON and a newline): the runner
 * and `merge --sign` write the same layout, so a re-signed bundle diffs only in its signature.
 */
export function bundleBytes(b: Bundle | UnsignedBundle): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(b, null, 1) + "\n");
}

/** Signs a bundle (its id already set); returns a new object with the signature block. */
export async function signBundle(b: UnsignedBundle, key: SigningKey): Promise<Bundle> {
  const { signature: _old, ...rest } = b as Bundle;
  const sig = new Uint8Array(
    await crypto.subtle.sign(
      { name: "Ed25519" },
      key.privateKey,
      signedPayload(rest) as Uint8Array<ArrayBuffer>,
    ),
  );
  const signature: Signature = {
    algorithm: "Ed25519",
    keyId: key.keyId,
    publicKey: key.publicKey,
    value: toBase64(sig),
  };
  return { ...rest, signature };
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function publicKeyOf(b64: string): Promise<CryptoKey> {
  let k = keyCache.get(b64);
  if (!k) {
    k = crypto.subtle.importKey(
      "raw",
      fromBase64(b64) as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(b64, k);
  }
  return k;
}

/** Outcome of a signature check: the signer's key id and owner, or why it failed. */
export type SignatureCheck =
  | { ok: true; keyId: string; owner: string }
  | { ok: false; reason: string };

/**
 * Checks a (schema-valid) bundle's signature: present, key id matching its public key, valid
 * over the content, and by a trusted key.
 */
export async function checkSignature(b: Bundle, trusted: TrustedKeys): Promise<SignatureCheck> {
  const s = b.signature;
  if (!s) return { ok: false, reason: "unsigned bundle (no signature block)" };
  let raw: Uint8Array, sig: Uint8Array;
  try {
    raw = fromBase64(s.publicKey);
    sig = fromBase64(s.value);
  } catch {
    return { ok: false, reason: "signature block is not valid base64" };
  }
  if (raw.length !== 32 || sig.length !== 64) {
    return { ok: false, reason: "signature block has a wrong-sized key or signature" };
  }
  if (await fingerprint(raw) !== s.keyId) {
    return { ok: false, reason: `signature keyId ${s.keyId} does not match its public key` };
  }
  let valid = false;
  try {
    valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      await publicKeyOf(s.publicKey),
      sig as Uint8Array<ArrayBuffer>,
      signedPayload(b) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    return {
      ok: false,
      reason: `bad signature by ${s.keyId}: it does not match this content ` +
        `(content or signature altered, or the signature comes from another bundle)`,
    };
  }
  const t = trusted.keys.get(s.keyId);
  if (!t) {
    return {
      ok: false,
      reason: `valid signature by untrusted key ${s.keyId} (not in ${trusted.path})`,
    };
  }
  if (t.publicKey !== s.publicKey) {
    return { ok: false, reason: `key ${s.keyId} differs from the trusted key of that id` };
  }
  return { ok: true, keyId: s.keyId, owner: t.owner };
}
