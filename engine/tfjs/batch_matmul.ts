/**
 * A direct loop for tfjs's BatchMatMul on the wasm backend when the product is batched (more than
 * one matrix per operand), as in attention's score and context products ([batch, heads, L, L]).
 *
 * Why: tfjs-wasm 4.22 sends only single products to XNNPACK; a batched one goes matrix by matrix
 * through its generic path, which measured 8.5 ms for 256 products of 16x16 by 16x16 (1 M
 * multiply-adds) on this machine, half of a ViT training step. This loop does the same product in
 * about a millisecond (a SIMD loop in train_kernels.wat). Summation order is fixed (over k
 * ascending, a float32 multiply then a float32 add), so results are deterministic; they equal the
 * stock kernel's up to float32 reassociation (tests/engine/tfjs/batch_matmul_test.ts bounds the
 * difference against the exact sum).
 *
 * A single product (B one matrix: the Dense layers and their gradients) whose column count is a
 * multiple of 8 runs train_kernels.wat's `conv_input_grad_tap` instead of XNNPACK's fully connected
 * operator: A's rows as the positions, B as the one tap's [k, n] matrix, 4 rows x 8 columns in
 * registers over k in order (4 k per step). That is a multiply-add over k ascending, the order
 * XNNPACK's product takes, fused where the CPU has FMA (train_kernels.wat's header; without FMA,
 * XNNPACK's bits; tests/engine/tfjs/batch_matmul_test.ts checks the bits of that order), measured
 * 1.0-1.2x faster on ViT's products before the fused multiply-add. Transpose flags (the engine's
 * gradients avoid them, engine/tfjs/matmul.ts), broadcast batches, other column counts, non-float32
 * operands and runtimes without SIMD reach the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, wasmKernelReplacement } from "./replace.ts";
import { allocFloat, floatView } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;

const replacement = wasmKernelReplacement(tf.BatchMatMul, batchMatMul);

/** Replaces the wasm BatchMatMul kernel (idempotent; unbatched products still reach the stock one). */
export function registerFastBatchMatMul(): void {
  replacement.register();
}

/** The kernel the replacement falls back to (tests compare against it). */
export function stockBatchMatMul(): tf.KernelFunc | undefined {
  return replacement.stock();
}

/** The number of matrices in a batched operand, or 0 where the loop does not apply. */
function batchOf(a: Info, b: Info): number {
  const r = a.shape.length;
  if (r < 3 || b.shape.length !== r || a.dtype !== "float32" || b.dtype !== "float32") return 0;
  let n = 1;
  for (let i = 0; i < r - 2; i++) {
    if (a.shape[i] !== b.shape[i]) return 0;
    n *= a.shape[i];
  }
  return n > 1 ? n : 0;
}

/** A's rows taken as one [rows, k] matrix where B is a single matrix (leading axes 1), else 0. */
function singleRows(a: Info, b: Info): number {
  const r = a.shape.length;
  if (r < 2 || b.shape.length !== r || a.dtype !== "float32" || b.dtype !== "float32") return 0;
  if (b.shape.slice(0, r - 2).some((d) => d !== 1)) return 0;
  return a.shape.slice(0, r - 1).reduce((x, y) => x * y, 1);
}

/** The product of one [rows, k] matrix by one [k, n] matrix (n a multiple of 8), or null. */
function singleProduct(backend: tf.KernelBackend, a: Info, b: Info): Info | null {
  const r = a.shape.length;
  const [k, n] = [a.shape[r - 1], b.shape[r - 1]];
  const rows = singleRows(a, b);
  if (rows === 0 || n % 8 !== 0 || b.shape[r - 2] !== k) return null;
  const simd = trainKernels(backend);
  if (!simd) return null;
  const out = allocFloat(backend, [...a.shape.slice(0, r - 1), n]);
  floatView(backend, out).fill(0);
  if (k > 0 && rows > 0) {
    const at = (i: Info) => offsetOf(backend, i);
    simd.conv_input_grad_tap(at(a), at(b), at(out), 1, rows, 0, 0, n * 4, n, k, k * 4);
  }
  return out;
}

function batchMatMul(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) {
    const single = singleProduct(backend, a, b);
    if (single) return single;
  }
  const batch = transposeA || transposeB ? 0 : batchOf(a, b);
  const r = a.shape.length;
  const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
  const simd = batch > 0 && n % 4 === 0 && b.shape[r - 2] === k ? trainKernels(backend) : null;
  if (!simd) {
    return replacement.fallback(args);
  }
  const out = allocFloat(backend, [...a.shape.slice(0, r - 2), m, n]);
  const at = (i: Info) => offsetOf(backend, i);
  simd.batch_matmul(at(a), at(b), at(out), batch, m, k, n);
  return out;
}
