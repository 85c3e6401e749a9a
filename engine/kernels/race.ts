/**
 * Native or WebAssembly, by measurement: a built native library is not faster everywhere (on a
 * Zen 1 core its POPCNT path ran at ~0.5-0.8x of the WebAssembly lut kernels), so a run that may
 * use it first times both on the actual deployed network, side by side in alternating pairs, and
 * keeps the faster. Cheap (a few paired samples at load) and recorded with the run.
 */
import { measurePair } from "../deploy/timing.ts";

/** The outcome of {@link raceFamilies}. */
export interface RaceResult {
  /** Which one to use. */
  winner: "native" | "wasm";
  /** Median of the paired ratios T_wasm / T_native (> 1: native faster), over all inputs. */
  nativeSpeedup: number;
}

/**
 * Times `native[i]` against `wasm[i]` (the same work on each family, e.g. one deployed network at
 * batch 1 and 64) in alternating samples of at least `minSampleMs`, `pairs` pairs each, and picks
 * native when the geometric mean of the per-input median ratios is above 1.
 */
export function raceFamilies(
  native: readonly (() => void)[],
  wasm: readonly (() => void)[],
  pairs = 5,
  minSampleMs = 1,
): RaceResult {
  if (native.length === 0 || native.length !== wasm.length) {
    throw new RangeError("raceFamilies: one wasm function per native one");
  }
  let logSum = 0;
  for (let i = 0; i < native.length; i++) {
    const p = measurePair(native[i], wasm[i], 0, pairs, undefined, minSampleMs);
    logSum += Math.log(p.ratio);
  }
  const nativeSpeedup = Math.exp(logSum / native.length);
  return { winner: nativeSpeedup > 1 ? "native" : "wasm", nativeSpeedup };
}
