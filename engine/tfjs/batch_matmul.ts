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
 * difference against the exact sum). Single products, transpose flags (the engine's gradients
 * avoid them, engine/tfjs/matmul.ts), broadcast batches, column counts not a multiple of 4,
 * non-float32 operands and runtimes without SIMD reach the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, wasmKernelReplacement } from "./replace.ts";
import { allocFloat } from "./heap.ts";
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

function batchMatMul(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
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
