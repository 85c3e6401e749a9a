/**
 * Merging bundle directories (shards of one grid, or runs made on several machines) into one.
 * Every bundle must be intact (schema, content id, a valid signature if it has one, consistent);
 * two bundles of the same run must agree on everything but timings and provenance (then the
 * first is kept), otherwise the merge is refused and nothing is written.
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../atomic.ts";
import { canonicalJson } from "./canonical.ts";
import type { SigningKey, TrustedKeys } from "./keys.ts";
import { reproducibleView } from "./make.ts";
import type { Bundle } from "./schema.ts";
import { bundleBytes, signBundle } from "./sign.ts";
import { collectBundleFiles, verifyBytes } from "./verify.ts";

/** A bundle read for merging: where it came from and its exact bytes. */
export interface MergeItem {
  path: string;
  bytes: Uint8Array;
  bundle: Bundle;
}

/** The outcome of a merge plan. */
export interface MergePlan {
  /** One bundle per run id, in id order. */
  items: MergeItem[];
  /** Bundles skipped as identical duplicates. */
  duplicates: number;
  unsigned: number;
  untrusted: number;
  /** Why the merge is refused (invalid bundles, conflicts); [] when it can go ahead. */
  problems: string[];
}

function leafDiff(a: unknown, b: unknown, path = ""): string | null {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return a === b ? null : path || "/";
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const d = leafDiff(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${path}/${k}`,
    );
    if (d) return d;
  }
  return null;
}

/** The bundle files of a directory: DIR/runs when it is a bench output directory, else DIR. */
export async function bundleFilesOf(dir: string): Promise<string[]> {
  const runs = join(dir, "runs");
  const isRuns = await Deno.stat(runs).then((i) => i.isDirectory, () => false);
  return collectBundleFiles([isRuns ? runs : dir]);
}

/** Reads and checks every bundle of `dirs` and plans the merge. */
export async function planMerge(dirs: string[], trusted: TrustedKeys): Promise<MergePlan> {
  const byId = new Map<string, MergeItem>();
  const plan: MergePlan = { items: [], duplicates: 0, unsigned: 0, untrusted: 0, problems: [] };
  for (const dir of dirs) {
    for (const path of await bundleFilesOf(dir)) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(path);
      } catch (e) {
        plan.problems.push(`${path}: cannot read: ${(e as Error).message.split("\n")[0]}`);
        continue;
      }
      const v = await verifyBytes(bytes, path, { trusted, signatures: "valid-if-present" });
      if (v.device) {
        plan.problems.push(`${path}: a device bundle (merge takes run bundles only)`);
        continue;
      }
      if (!v.ok || !v.bundle) {
        plan.problems.push(`${path}: ${v.reason}`);
        continue;
      }
      if (v.notes.includes("unsigned")) plan.unsigned++;
      if (v.notes.includes("untrusted key")) plan.untrusted++;
      const b = v.bundle;
      const prev = byId.get(b.config.id);
      if (!prev) {
        byId.set(b.config.id, { path, bytes, bundle: b });
        continue;
      }
      const x = reproducibleView(prev.bundle), y = reproducibleView(b);
      if (canonicalJson(x) === canonicalJson(y)) {
        plan.duplicates++;
        continue;
      }
      plan.problems.push(
        `conflicting bundles for run ${b.config.id}: ${prev.path} and ${path} differ at ` +
          `${leafDiff(x, y)}`,
      );
    }
  }
  plan.items = [...byId.values()].sort((a, b) => a.bundle.config.id < b.bundle.config.id ? -1 : 1);
  return plan;
}

/**
 * Signs every bundle of a plan with `key`, for a publication made of runs that several sessions
 * or machines signed with their own keys (or not at all): {@link planMerge} has checked each
 * bundle's content id and any signature, and signing changes only the signature block, so the
 * content id and every number stay as they were. Bundles already signed by `key` keep their
 * bytes. Returns how many were (re-)signed.
 */
export async function signPlan(plan: MergePlan, key: SigningKey): Promise<number> {
  let signed = 0;
  for (const it of plan.items) {
    if (it.bundle.signature?.keyId === key.keyId) continue;
    it.bundle = await signBundle(it.bundle, key);
    it.bytes = bundleBytes(it.bundle);
    signed++;
  }
  return signed;
}

/**
 * Writes a plan's bundles (bytes unchanged) and, unless `opts.weights` is false (a published set:
 * bundles only), their weights files into OUT/runs/.
 */
export async function writeMerge(
  plan: MergePlan,
  out: string,
  opts: { weights?: boolean } = {},
): Promise<{ written: number; weights: number; missingWeights: number }> {
  let written = 0, weights = 0, missingWeights = 0;
  for (const it of plan.items) {
    const target = join(out, "runs", `${it.bundle.config.id}.json`);
    const same = await Deno.readFile(target).then(
      (old) => old.length === it.bytes.length && old.every((x, i) => x === it.bytes[i]),
      () => false,
    );
    const w = it.bundle.results.weights;
    if (w && opts.weights !== false) {
      const from = join(dirname(it.path), w.file);
      const to = join(dirname(target), w.file);
      if (from !== to) {
        const data = await Deno.readFile(from).catch(() => null);
        if (data) {
          await writeFileAtomic(to, data);
          weights++;
        } else missingWeights++;
      }
    }
    if (!same) {
      await writeFileAtomic(target, it.bytes);
      written++;
    }
  }
  return { written, weights, missingWeights };
}
