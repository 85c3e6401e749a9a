/**
 * A SIMD loop for tfjs's Transpose of float32 matrices on the wasm backend.
 *
 * Why: the engine's matrix-product gradients transpose their operands explicitly (so the product
 * runs unflagged on XNNPACK, engine/tfjs/matmul.ts); tfjs-wasm 4.22's Transpose moves one value
 * at a time (~0.7 ms per [1024, 64] matrix, a tenth of a ViT training step in all). Here 4x4
 * blocks are transposed in registers (train_kernels.wat). A transpose only moves values, so the
 * output is the stock kernel's bit for bit (tests/engine/tfjs/transpose_test.ts). Other ranks,
 * permutations, dtypes and sizes that are not multiples of 4 reach the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, wasmKernelReplacement } from "./replace.ts";
import { allocFloat } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;

const replacement = wasmKernelReplacement(tf.Transpose, transpose);

/** Replaces the wasm Transpose kernel (idempotent; other cases still reach the stock one). */
export function registerFastTranspose(): void {
  replacement.register();
}

/** The kernel the replacement falls back to (tests compare against it). */
export function stockTranspose(): tf.KernelFunc | undefined {
  return replacement.stock();
}

function transpose(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: Info };
  const perm = (attrs as { perm: number[] }).perm;
  const [rows, cols] = x.shape;
  const k = x.dtype === "float32" && x.shape.length === 2 && perm[0] === 1 && rows % 4 === 0 &&
      cols % 4 === 0
    ? trainKernels(backend)
    : null;
  if (!k) {
    return replacement.fallback(args);
  }
  const out = allocFloat(backend, [cols, rows]);
  k.transpose_2d(offsetOf(backend, x), offsetOf(backend, out), rows, cols);
  return out;
}
