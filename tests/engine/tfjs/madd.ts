/**
 * The training convolutions' multiply-add in float32, as this machine's train_kernels.wasm does
 * it: fused (one rounding of a·b + c) where `madd_fused` says so, else a float32 multiply then a
 * float32 add. The fused reference is exact: a·b of two float32 is exact in float64, and the one
 * case where rounding a·b + c to float64 first could round the wrong way to float32 (the float64
 * sum inexact and exactly halfway between two float32) is resolved by the sum's exact error.
 */
import { tf } from "../../../engine/tf.ts";
import { trainKernels } from "../../../engine/tfjs/train_kernels.ts";

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

/** The float32 next to r (a float32) in the direction of `toward`. */
function neighbour(r: number, toward: number): number {
  f32[0] = r;
  if (r === 0) u32[0] = 1;
  else u32[0] += (toward > r) === (r > 0) ? 1 : -1;
  const n = f32[0];
  return r === 0 && toward < 0 ? -n : n;
}

/** a·b + c rounded once to float32 (a, b, c float32). */
export function fusedMadd(a: number, b: number, c: number): number {
  const p = a * b, s = p + c;
  const bb = s - p, e = (p - (s - bb)) + (c - bb); // s + e = p + c exactly
  const r = Math.fround(s);
  if (e === 0 || r === s) return r;
  const other = neighbour(r, s);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r; // not a tie: s rounds as the exact sum
  return (e > 0) === (other > r) ? other : r;
}

/** a·b + c with two float32 roundings. */
export function splitMadd(a: number, b: number, c: number): number {
  return Math.fround(c + Math.fround(a * b));
}

/** The multiply-add this machine's training kernels use (needs the wasm backend initialised). */
export function machineMadd(): (a: number, b: number, c: number) => number {
  const k = trainKernels(tf.backend());
  if (!k) throw new Error("the training kernels did not load on this backend");
  return k.madd_fused() === 1 ? fusedMadd : splitMadd;
}
