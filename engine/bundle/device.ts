/**
 * Device bundles: one browser's run of the inference timing protocol ("Measure this device" on
 * the site), signed there with a key generated in the browser. They are verified like run
 * bundles — schema (strict: the fingerprint's values enumerated or bounded), content id,
 * signature, internal consistency — except that a valid signature by a key outside the trusted
 * list is accepted with the note {@link UNTRUSTED_DEVICE_KEY}: anyone may measure their device,
 * and the key only proves that the file was not changed after it was signed. A forged field
 * breaks the content id (or the signature) like in any tampered bundle.
 */
import { contentId } from "./canonical.ts";
import { deviceClassOf } from "./device_class.ts";
import type { TrustedKeys } from "./keys.ts";
import { type Bundle, DEVICE_SCHEMA_VERSION, type DeviceBundle } from "./schema.ts";
import { checkSignature } from "./sign.ts";
import { checkDeviceShape, type Checked } from "./validate.ts";

/** The note on a device bundle signed by a key that is not in the trusted list. */
export const UNTRUSTED_DEVICE_KEY = "untrusted key (made in the browser)";

/** Whether a parsed JSON value declares itself a device bundle. */
export function isDeviceValue(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    (value as Record<string, unknown>).schema === DEVICE_SCHEMA_VERSION;
}

/**
 * Internal consistency of a schema-valid device bundle: the class follows from the user agent,
 * the model files name distinct binarizers, the batch sizes are distinct, and the results hold
 * exactly one entry per binarizer and batch size.
 */
export function deviceConsistencyProblem(b: DeviceBundle, now = Date.now()): string | null {
  const created = Date.parse(b.created);
  if (!Number.isFinite(created)) return `created ${b.created} is not a valid time`;
  if (created > now + 24 * 3600 * 1000) return `created ${b.created} is in the future`;
  const cls = deviceClassOf(b.device.userAgent);
  if (b.device.class !== cls) {
    return `device.class is ${b.device.class}, but the user agent says ${cls}`;
  }
  const names = b.model.files.map((f) => f.binarizer);
  if (new Set(names).size !== names.length) return "model.files name a binarizer twice";
  if (names.includes("fp32")) return "model.files holds fp32 (it is model.fp32)";
  const batches = b.protocol.batches;
  if (batches.length === 0) return "protocol.batches is empty";
  if (new Set(batches).size !== batches.length) return "protocol.batches repeats a batch size";
  const seen = new Set<string>();
  for (const [i, r] of b.results.entries()) {
    if (!names.includes(r.binarizer)) {
      return `results[${i}]: binarizer ${r.binarizer} has no model file`;
    }
    if (!(batches as number[]).includes(r.batch)) {
      return `results[${i}]: batch ${r.batch} is not in protocol.batches`;
    }
    const key = `${r.binarizer}/${r.batch}`;
    if (seen.has(key)) return `results[${i}]: ${key} appears twice`;
    seen.add(key);
    if (r.samples < b.protocol.minSamples) {
      return `results[${i}]: ${r.samples} samples, fewer than protocol.minSamples`;
    }
  }
  if (seen.size !== names.length * batches.length) {
    return `${seen.size} results for ${names.length} model(s) x ${batches.length} batch size(s)`;
  }
  return null;
}

/** The verdict on a device bundle: the bundle, its signer when trusted, and notes. */
export type DeviceCheck =
  | {
    ok: true;
    device: DeviceBundle;
    signer?: { keyId: string; owner: string };
    notes: string[];
  }
  | { ok: false; reason: string; device?: DeviceBundle };

/**
 * Verifies a parsed device bundle: schema, content id, signature (required; an untrusted key is
 * a note), consistency. Never throws on bad input.
 */
export async function verifyDeviceValue(
  value: unknown,
  trusted: TrustedKeys,
): Promise<DeviceCheck> {
  const shape: Checked<DeviceBundle> = checkDeviceShape(value);
  if (!shape.ok) return shape;
  const b = shape.value;
  const id = await contentId(b as unknown as Parameters<typeof contentId>[0]);
  if (id !== b.id) {
    return {
      ok: false,
      reason: `content id mismatch: the content was changed after the bundle was made ` +
        `(id ${b.id.slice(0, 19)}..., content hashes to ${id.slice(0, 19)}...)`,
      device: b,
    };
  }
  const notes: string[] = [];
  // The signature check reads only the signature block and the signed payload.
  const sig = await checkSignature(b as unknown as Bundle, trusted);
  let signer: { keyId: string; owner: string } | undefined;
  if (sig.ok) signer = { keyId: sig.keyId, owner: sig.owner };
  else if (sig.reason.startsWith("valid signature by untrusted")) notes.push(UNTRUSTED_DEVICE_KEY);
  else return { ok: false, reason: sig.reason, device: b };
  const problem = deviceConsistencyProblem(b);
  if (problem) return { ok: false, reason: `inconsistent: ${problem}`, device: b };
  return { ok: true, device: b, signer, notes };
}
