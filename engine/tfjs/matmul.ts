/**
 * A faster gradient for tfjs's BatchMatMul on the wasm backend.
 *
 * Why: tfjs-wasm 4.22 runs a matrix product through XNNPACK only when neither operand is
 * transposed; `transposeA` / `transposeB` fall back to a scalar loop about 10x slower (a 4096x64
 * by 64x128 product: 9 ms plain, 100-115 ms with a transpose flag, on this 2-core machine).
 * tfjs's own gradient of `matMul` asks for exactly those flags (dA = dY B^T, dB = A^T dY), so the
 * backward pass of every Dense layer took the slow path. This gradient computes the same products
 * with explicit transposes (a cheap copy) and unflagged products: the same values up to float
 * summation order.
 */
import * as tf from "@tensorflow/tfjs";

type Tensor = tf.Tensor;

/** x, or x with its last two axes swapped. */
function t(x: Tensor, flag: boolean): Tensor {
  if (!flag) return x;
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/** op(x) op(y) with op a transpose where flagged, as an unflagged product. */
function mm(x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor {
  return tf.matMul(t(x, tx), t(y, ty));
}

let registered = false;

/** Replaces BatchMatMul's gradient (globally; idempotent). Same cases as tfjs-core's. */
export function registerFastMatMulGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const d = dy as Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) {
        return { a: () => mm(d, b, false, true), b: () => mm(a, d, true, false) };
      }
      if (!transposeA && transposeB) {
        return { a: () => mm(d, b, false, false), b: () => mm(d, a, true, false) };
      }
      if (transposeA && !transposeB) {
        return { a: () => mm(b, d, false, true), b: () => mm(a, d, false, false) };
      }
      return { a: () => mm(b, d, true, true), b: () => mm(d, a, true, true) };
    },
  });
}
