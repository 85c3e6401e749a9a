/**
 * Corrupted test sets for the robustness track: MNIST-C's 15 corruptions (./mnist_c.ts) applied
 * to 28x28 grayscale splits. Seeded and deterministic: image i of a split, under corruption C and
 * corruption seed s, is corrupted with its own generator `Rng(deriveSeed(s, "C#i"))`, so the
 * result does not depend on batch order, on which other images are corrupted, or on the process.
 */
import { deriveSeed, Rng } from "../rng.ts";
import { UserError } from "../errors.ts";
import type { Split } from "../data/dataset.ts";
import { type Corruption, MNIST_C, SIZE } from "./mnist_c.ts";
import type { Gray } from "./image.ts";

export type { Corruption } from "./mnist_c.ts";
export { MNIST_C, SIZE } from "./mnist_c.ts";

/** The corruption names in MNIST-C's order. */
export const CORRUPTION_NAMES: readonly string[] = MNIST_C.map((c) => c.name);

/** Looks a corruption up; an unknown name is a user error listing the known ones. */
export function getCorruption(name: string): Corruption {
  const c = MNIST_C.find((c) => c.name === name);
  if (!c) {
    throw new UserError(`unknown corruption "${name}" (known: ${CORRUPTION_NAMES.join(", ")})`);
  }
  return c;
}

/** The generator of image `index` under corruption `name` and corruption seed `seed`. */
export function corruptionRng(name: string, seed: number, index: number): Rng {
  return new Rng(deriveSeed(seed, `${name}#${index}`));
}

/** Corrupts one 28x28 image (784 floats in [0, 1]); the input is not modified. */
export function corruptImage(
  name: string,
  image: Float32Array,
  seed: number,
  index: number,
): Float32Array {
  const c = getCorruption(name);
  if (image.length !== SIZE * SIZE) {
    throw new UserError(
      `corruption ${name} needs ${SIZE}x${SIZE} grayscale images, got ${image.length} values`,
    );
  }
  const img: Gray = { w: SIZE, h: SIZE, data: image };
  return c.apply(img, corruptionRng(name, seed, index)).data;
}

/** A copy of `split` with every image corrupted (labels unchanged). */
export function corruptSplit(split: Split, name: string, seed: number): Split {
  const per = SIZE * SIZE;
  if (split.n > 0 && split.x.length !== split.n * per) {
    throw new UserError(
      `corruption ${name} needs ${SIZE}x${SIZE} grayscale images, got ${
        split.x.length / split.n
      } values per sample`,
    );
  }
  const x = new Float32Array(split.x.length);
  for (let i = 0; i < split.n; i++) {
    x.set(corruptImage(name, split.x.subarray(i * per, (i + 1) * per), seed, i), i * per);
  }
  return { x, y: split.y, n: split.n };
}
