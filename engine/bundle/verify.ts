/**
 * Verifying bundles. Per file, in order: size, UTF-8, JSON, schema, content id, signature (valid,
 * and by a trusted key), internal consistency, and the weights file when it lies beside the
 * bundle. The first failure is the file's one-line reason. Nothing here throws on bad input: a
 * bundle is data from outside, and one bad file never stops the others being checked.
 */
import { dirname, join } from "node:path";
import { KNOWN_DIGESTS, sha256Hex } from "../data/digest.ts";
import { printable } from "../printable.ts";
import { canonicalJson, contentId } from "./canonical.ts";
import { convergenceOf, expectedEpochs } from "../nn/convergence.ts";
import type { TrustedKeys } from "./keys.ts";
import { seedsOf } from "./make.ts";
import { parentSpec } from "../init.ts";
import { type Bundle, type DeviceBundle } from "./schema.ts";
import { isDeviceValue, verifyDeviceValue } from "./device.ts";
import { checkSignature } from "./sign.ts";
import {
  type Checked,
  checkShape,
  MAX_BUNDLE_BYTES,
  parseBundleBytes,
  parseJsonBytes,
} from "./validate.ts";

/** How strict a check is. */
export interface VerifyOptions {
  /** Keys whose signatures are accepted. */
  trusted: TrustedKeys;
  /**
   * "trusted" (default, what `verify` does): a valid signature by a trusted key is required.
   * "valid-if-present": unsigned bundles and untrusted keys pass, a bad signature does not
   * (what `merge` and resume need: intact bundles, whoever made them).
   */
  signatures?: "trusted" | "valid-if-present";
  /** Check the weights file beside the bundle when present (default true). */
  weights?: boolean;
}

/** The verdict on one file. */
export interface Verdict {
  path: string;
  ok: boolean;
  /** Why it failed (one line), when it did. */
  reason?: string;
  bundle?: Bundle;
  /** A device bundle (engine/bundle/device.ts), instead of a run bundle. */
  device?: DeviceBundle;
  /** Who signed it, when the signature checked out. */
  signer?: { keyId: string; owner: string };
  /** Facts worth showing next to an ok (unsigned, untrusted key, weights not present). */
  notes: string[];
}

/**
 * Whether `acc` is k / n for a whole k: the nearest such fraction, within rounding of the
 * division (so a subnormal or any other nonzero value below 1 / n is not a count of 0).
 */
function isWholeCount(acc: number, n: number): boolean {
  const k = Math.round(acc * n);
  return k === 0 ? acc === 0 : Math.abs(acc - k / n) <= 1e-12 * (k / n);
}

/**
 * Internal consistency of a schema-valid bundle (ranges are the schema's): seeds derive from the
 * run seed, accuracies equal to k / n for the split they were measured on, timings positive and epoch
 * times within the training time, curves complete, the final metrics equal to the last epoch's
 * numbers they are taken from, and known datasets carrying their official SHA-256.
 */
export function consistencyProblem(b: Bundle, now = Date.now()): string | null {
  const created = Date.parse(b.created);
  if (!Number.isFinite(created)) return `created ${b.created} is not a valid time`;
  if (created > now + 24 * 3600 * 1000) return `created ${b.created} is in the future`;

  const expected = seedsOf(b.config);
  for (const [k, v] of Object.entries(expected)) {
    if (b.seeds[k as keyof typeof expected] !== v) {
      return `seeds.${k} is ${b.seeds[k as keyof typeof expected]}, but config.seed ` +
        `${b.config.seed} gives ${v}`;
    }
  }

  const { metrics, curves, timings } = b.results;
  const timingValues = Object.values(timings);
  if (timingValues.length > 0 && timingValues.reduce((a, c) => a + c, 0) <= 0) {
    return "timings are not positive";
  }

  const train = b.config.train;
  if (b.config.kind === "train" && !train) return "a train run without config.train";
  const parentRun = parentSpec(b.config)?.id;
  if (parentRun !== b.results.parent?.run) {
    return parentRun
      ? `config.init fp32 without results.parent naming ${parentRun}`
      : `results.parent names ${b.results.parent?.run}, but the run has no fp32 parent`;
  }
  // Runs of other kinds (robust, infer) carry their task run's training settings but do not
  // train themselves: no curves.
  if (b.config.kind === "train" && train) {
    // A plateau rule stops at the first epoch where it fires (recomputed from the curves).
    const want = expectedEpochs(curves.map((c) => c.valAccuracy), train);
    if (curves.length !== want) {
      if (!train.plateau) {
        return `${curves.length} epoch records for ${train.epochs} configured epochs`;
      }
      return curves.length > want
        ? `${curves.length} epoch records, but the plateau rule stops after ${want}`
        : `${curves.length} epoch records, but the plateau rule does not stop there ` +
          `(cap ${train.epochs})`;
    }
    const rec = b.results.convergence;
    if (rec && canonicalJson(rec) !== canonicalJson(convergenceOf(curves, train))) {
      return `results.convergence ${canonicalJson(rec)} is not what the curves give ` +
        canonicalJson(convergenceOf(curves, train));
    }
  } else if (b.results.convergence) return "results.convergence on a run that does not train";
  let epochSeconds = 0;
  for (const [i, c] of curves.entries()) {
    if (c.epoch !== i) return `curves[${i}].epoch is ${c.epoch}, expected ${i}`;
    if (!(c.seconds > 0)) return `curves[${i}].seconds is not positive`;
    if (train && c.lr > train.lr * (1 + 1e-12)) {
      return `curves[${i}].lr ${c.lr} exceeds the configured lr ${train.lr}`;
    }
    epochSeconds += c.seconds;
  }
  if (curves.length > 0) {
    if (!(timings.trainSeconds > 0)) return "timings.trainSeconds is missing or not positive";
    if (epochSeconds > timings.trainSeconds * (1 + 1e-9) + 1e-6) {
      return `epoch times add up to ${epochSeconds.toFixed(3)} s, more than ` +
        `timings.trainSeconds ${timings.trainSeconds.toFixed(3)} s`;
    }
    const last = curves[curves.length - 1];
    if ("valAccuracy" in metrics && metrics.valAccuracy !== last.valAccuracy) {
      return `metric valAccuracy ${metrics.valAccuracy} is not the last epoch's ` +
        `${last.valAccuracy}`;
    }
    if ("finalTrainLoss" in metrics && metrics.finalTrainLoss !== last.trainLoss) {
      return `metric finalTrainLoss ${metrics.finalTrainLoss} is not the last epoch's ` +
        `${last.trainLoss}`;
    }
  }

  if (b.datasets.length > 0) {
    const d = b.datasets[0];
    if (d.name !== b.config.dataset) {
      return `dataset ${d.name} is not the configured ${b.config.dataset}`;
    }
    for (const split of ["train", "val", "test"] as const) {
      const lim = b.config.limit?.[split];
      if (lim !== undefined && d.sizes[split] > lim) {
        return `dataset ${split} size ${d.sizes[split]} exceeds the configured limit ${lim}`;
      }
    }
    const count = (acc: number, n: number, what: string) =>
      n > 0 && !isWholeCount(acc, n) ? `${what} ${acc} is not a whole count out of ${n}` : null;
    const problem = count(metrics.testAccuracy ?? 0, d.sizes.test, "testAccuracy") ??
      count(metrics.valAccuracy ?? 0, d.sizes.val, "valAccuracy");
    if (problem) return problem;
    if (train) {
      const bs = Math.min(train.batchSize, d.sizes.train);
      const seen = Math.max(1, Math.floor(d.sizes.train / train.batchSize)) * bs;
      for (const [i, c] of curves.entries()) {
        const p = count(c.valAccuracy, d.sizes.val, `curves[${i}].valAccuracy`) ??
          count(c.trainAccuracy, seen, `curves[${i}].trainAccuracy`);
        if (p) return p;
      }
    }
    for (const ds of b.datasets) {
      const known = KNOWN_DIGESTS[ds.name];
      if (!known) continue;
      for (const f of ds.files) {
        if (!(f.file in known)) return `dataset ${ds.name} has an unknown file ${f.file}`;
        if (known[f.file] !== f.sha256) {
          return `dataset ${ds.name} file ${f.file}: SHA-256 is not the official one`;
        }
      }
    }
  }
  return null;
}

/** Schema-valid, content id right: what resume and merge need before trusting a file. */
export function checkIntegrity(bytes: Uint8Array): Promise<Checked<Bundle>> {
  return integrityOf(parseBundleBytes(bytes));
}

async function integrityOf(parsed: Checked<Bundle>): Promise<Checked<Bundle>> {
  if (!parsed.ok) return parsed;
  const b = parsed.value;
  const id = await contentId(b);
  if (id !== b.id) {
    return {
      ok: false,
      reason: `content id mismatch: the content was changed after the bundle was made ` +
        `(id ${b.id.slice(0, 19)}..., content hashes to ${id.slice(0, 19)}...)`,
    };
  }
  return parsed;
}

/** Verifies bundle bytes (read from `path`, which locates the weights file). Never throws. */
export async function verifyBytes(
  bytes: Uint8Array,
  path: string,
  opts: VerifyOptions,
): Promise<Verdict> {
  const notes: string[] = [];
  // Reasons quote bundle strings and keys: control and bidi characters are shown as escapes.
  const fail = (reason: string, bundle?: Bundle): Verdict => ({
    path,
    ok: false,
    reason: printable(reason),
    bundle,
    notes,
  });
  try {
    const json = parseJsonBytes(bytes);
    if (!json.ok) return fail(json.reason);
    if (isDeviceValue(json.value)) {
      // A device bundle: its own schema and rules (an untrusted browser key is a note).
      const d = await verifyDeviceValue(json.value, opts.trusted);
      if (!d.ok) return { path, ok: false, reason: printable(d.reason), device: d.device, notes };
      return { path, ok: true, device: d.device, signer: d.signer, notes: d.notes };
    }
    const checked = await integrityOf(checkShape(json.value));
    if (!checked.ok) return fail(checked.reason);
    const b = checked.value;
    const sig = await checkSignature(b, opts.trusted);
    let signer: Verdict["signer"];
    if (sig.ok) signer = { keyId: sig.keyId, owner: sig.owner };
    else if ((opts.signatures ?? "trusted") === "trusted") return fail(sig.reason, b);
    else if (!b.signature || sig.reason.startsWith("valid signature by untrusted")) {
      notes.push(b.signature ? "untrusted key" : "unsigned");
    } else return fail(sig.reason, b);
    const problem = consistencyProblem(b);
    if (problem) return fail(`inconsistent: ${problem}`, b);
    const w = b.results.weights;
    if (w && opts.weights !== false) {
      const wpath = join(dirname(path), w.file);
      let wbytes: Uint8Array | null = null;
      try {
        wbytes = await Deno.readFile(wpath);
      } catch {
        notes.push("weights file not present");
      }
      if (wbytes) {
        if (wbytes.length !== w.bytes || await sha256Hex(wbytes) !== w.sha256) {
          return fail(`weights file ${w.file} does not match the SHA-256 the bundle records`, b);
        }
      }
    }
    return { path, ok: true, bundle: b, signer, notes };
  } catch (e) {
    return fail(`internal error while checking: ${String((e as Error)?.message ?? e)}`);
  }
}

/** Reads and verifies one file. Never throws. */
export async function verifyFile(path: string, opts: VerifyOptions): Promise<Verdict> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return { path, ok: false, reason: "not a regular file", notes: [] };
    if (info.size > MAX_BUNDLE_BYTES) {
      return {
        path,
        ok: false,
        reason: `file is ${info.size} bytes, over the ${MAX_BUNDLE_BYTES}-byte bundle limit`,
        notes: [],
      };
    }
    return await verifyBytes(await Deno.readFile(path), path, opts);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : String((e as Error)?.message ?? e).split("\n")[0];
    return { path, ok: false, reason: `cannot read: ${why}`, notes: [] };
  }
}

/** Files that are not bundles even though they end in .json. */
const NOT_BUNDLES = new Set(["trusted-keys.json", "deno.json", "package.json"]);

/**
 * The bundle files named by `paths`: files as given, directories searched recursively for
 * `*.json` (sorted). A missing path is kept, to be reported as such.
 */
export async function collectBundleFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, acc: string[]) {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p, acc);
      else if (e.isFile && e.name.endsWith(".json") && !NOT_BUNDLES.has(e.name)) acc.push(p);
    }
  }
  for (const p of paths) {
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.stat(p);
    } catch {
      info = null;
    }
    if (info?.isDirectory) await walk(p, out);
    else out.push(p);
  }
  return out;
}
