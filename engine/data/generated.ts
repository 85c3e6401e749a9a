/**
 * Digests of data a run generates instead of reading: point clouds drawn from MNIST digits and
 * corrupted test images. Their values come from the JavaScript engine's Math.sin, Math.cos and
 * Math.log (rotations, Gaussian noise), which the language leaves implementation-defined: another
 * engine may round them differently and so train and test on other data. The input files' digests
 * cannot show that; a digest of the generated samples, recorded in the bundle and compared by
 * `verify --reproduce`, does.
 */
import type { Split } from "./dataset.ts";
import { sha256Hex } from "./digest.ts";

/** The SHA-256 of one generated set of samples. */
export interface GeneratedDigest {
  /** What was generated: a split ("train", "val", "test") or "test/<corruption>". */
  name: string;
  /** SHA-256 of the samples' float32 values (little-endian), then their labels (a byte each). */
  sha256: string;
  /** Samples hashed. */
  samples: number;
}

/** The {@link GeneratedDigest} of a split's samples and labels. */
export async function generatedDigest(name: string, split: Split): Promise<GeneratedDigest> {
  const bytes = new Uint8Array(split.x.length * 4 + split.y.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < split.x.length; i++) view.setFloat32(4 * i, split.x[i], true);
  bytes.set(split.y, split.x.length * 4);
  return { name, sha256: await sha256Hex(bytes), samples: split.n };
}
