/**
 * Signing keys and the trusted-keys list.
 *
 * A key pair lives in the user's config directory — `$BIBENCH_KEY_DIR`, else
 * `$XDG_CONFIG_HOME/bibench`, else `~/.config/bibench` — never in the repository: the private key
 * in `signing-key.json` (mode 0600; refused when others can read it), the public half in
 * `signing-key.pub.json`. A key is named by its fingerprint: "ed25519:" + hex of the first 16
 * bytes of SHA-256 of the raw 32-byte public key.
 *
 * `bundles/trusted-keys.json` lists the public keys whose bundles `verify` accepts:
 * `[{ "owner": "...", "publicKey": "<base64 raw>", "fingerprint": "ed25519:..." }]`.
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { fingerprint, fromBase64, toBase64 } from "./canonical.ts";

export const PRIVATE_KEY_FILE = "signing-key.json";
export const PUBLIC_KEY_FILE = "signing-key.pub.json";
const KEY_FORMAT = "bibench-signing-key/1";

/** The repository's trusted-keys file. */
export const DEFAULT_TRUSTED_FILE =
  new URL("../../bundles/trusted-keys.json", import.meta.url).pathname;

/** A loaded signing key. */
export interface SigningKey {
  keyId: string;
  /** Raw public key, base64. */
  publicKey: string;
  owner: string;
  privateKey: CryptoKey;
  /** The file it came from. */
  path: string;
}

/** One entry of a trusted-keys file. */
export interface TrustedKey {
  owner: string;
  publicKey: string;
  fingerprint: string;
}

/** Trusted keys by fingerprint, and the file they came from. */
export interface TrustedKeys {
  path: string;
  keys: Map<string, TrustedKey>;
}

/** Where keys live (see the module doc). */
export function keyDir(): string {
  const env = (name: string) => {
    try {
      return Deno.env.get(name) || undefined;
    } catch {
      return undefined;
    }
  };
  const explicit = env("BIBENCH_KEY_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "bibench");
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) throw new UserError("cannot find a config directory: set BIBENCH_KEY_DIR or HOME");
  return join(home, ".config", "bibench");
}

export { fingerprint };

/**
 * Creates a key pair in `dir` (default {@link keyDir}). Refuses to replace an existing key unless
 * `force`. Returns the public entry to add to a trusted-keys file.
 */
export async function generateKey(
  owner: string,
  opts: { dir?: string; force?: boolean } = {},
): Promise<TrustedKey & { dir: string }> {
  const dir = opts.dir ?? keyDir();
  const priv = join(dir, PRIVATE_KEY_FILE);
  if (!opts.force) {
    const exists = await Deno.stat(priv).then(() => true, () => false);
    if (exists) throw new UserError(`a key already exists at ${priv} (use --force to replace it)`);
  }
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const entry: TrustedKey = {
    owner,
    publicKey: toBase64(raw),
    fingerprint: await fingerprint(raw),
  };
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // Create the private file empty with mode 0600 first, so its bytes are never readable by others.
  const tmp = `${priv}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, "", { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o600);
  await Deno.writeTextFile(
    tmp,
    JSON.stringify(
      {
        format: KEY_FORMAT,
        owner,
        keyId: entry.fingerprint,
        publicKey: entry.publicKey,
        privateKey: toBase64(pkcs8),
        created: new Date().toISOString(),
      },
      null,
      1,
    ) + "\n",
  );
  await Deno.rename(tmp, priv);
  await Deno.writeTextFile(join(dir, PUBLIC_KEY_FILE), JSON.stringify(entry, null, 1) + "\n");
  return { ...entry, dir };
}

/**
 * Loads the signing key from `dir` (default {@link keyDir}); null when there is none. A key file
 * that others can read, or that is corrupt, is a UserError.
 */
export async function loadSigningKey(dir?: string): Promise<SigningKey | null> {
  let d: string;
  try {
    d = dir ?? keyDir();
  } catch {
    return null;
  }
  const path = join(d, PRIVATE_KEY_FILE);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UserError(`cannot read signing key ${path}: ${(e as Error).message}`);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new UserError(
      `signing key ${path} is readable by others (mode ${
        (info.mode & 0o777).toString(8)
      }); run: chmod 600 ${path}`,
    );
  }
  const bad = (why: string) => new UserError(`corrupt signing key ${path}: ${why}`);
  let k: Record<string, unknown>;
  try {
    k = JSON.parse(await Deno.readTextFile(path));
  } catch {
    throw bad("not JSON");
  }
  if (k?.format !== KEY_FORMAT || typeof k.privateKey !== "string") throw bad("unknown format");
  if (typeof k.publicKey !== "string") throw bad("no public key");
  let privateKey: CryptoKey;
  let raw: Uint8Array;
  try {
    raw = fromBase64(k.publicKey);
    privateKey = await crypto.subtle.importKey(
      "pkcs8",
      fromBase64(k.privateKey) as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["sign"],
    );
  } catch {
    throw bad("the key does not decode");
  }
  const keyId = await fingerprint(raw);
  if (k.keyId !== keyId) throw bad("its key id does not match its public key");
  return {
    keyId,
    publicKey: k.publicKey,
    owner: typeof k.owner === "string" ? k.owner : "unknown",
    privateKey,
    path,
  };
}

/** Parses a trusted-keys file; anything wrong with it is a UserError naming the entry. */
export async function loadTrustedKeys(path = DEFAULT_TRUSTED_FILE): Promise<TrustedKeys> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UserError(`cannot read trusted-keys file ${path}: ${(e as Error).message}`);
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new UserError(`trusted-keys file ${path} is not valid JSON`);
  }
  if (!Array.isArray(list)) {
    throw new UserError(`trusted-keys file ${path} must be a JSON array of keys`);
  }
  const keys = new Map<string, TrustedKey>();
  for (const [i, e] of list.entries()) {
    const where = `trusted-keys file ${path}, entry ${i}`;
    if (
      typeof e !== "object" || e === null || typeof e.owner !== "string" ||
      typeof e.publicKey !== "string" || typeof e.fingerprint !== "string"
    ) {
      throw new UserError(`${where}: expected { "owner", "publicKey", "fingerprint" } strings`);
    }
    let raw: Uint8Array;
    try {
      raw = fromBase64(e.publicKey);
    } catch {
      throw new UserError(`${where}: publicKey is not base64`);
    }
    if (raw.length !== 32) throw new UserError(`${where}: publicKey is not 32 bytes`);
    if (await fingerprint(raw) !== e.fingerprint) {
      throw new UserError(`${where}: fingerprint does not match its publicKey`);
    }
    keys.set(e.fingerprint, { owner: e.owner, publicKey: e.publicKey, fingerprint: e.fingerprint });
  }
  return { path, keys };
}

/** Adds `entry` to the trusted-keys file at `path` (creating it); no-op when already listed. */
export async function addTrustedKey(path: string, entry: TrustedKey): Promise<boolean> {
  let list: TrustedKey[] = [];
  const exists = await Deno.stat(path).then(() => true, () => false);
  if (exists) list = [...(await loadTrustedKeys(path)).keys.values()];
  if (list.some((k) => k.fingerprint === entry.fingerprint)) return false;
  list.push({ owner: entry.owner, publicKey: entry.publicKey, fingerprint: entry.fingerprint });
  await Deno.writeTextFile(path, JSON.stringify(list, null, 2) + "\n");
  return true;
}
