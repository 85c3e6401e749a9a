/**
 * A faster Sum for the wasm backend when the reduced axes are the leading ones (a bias gradient,
 * BatchNorm / LayerNorm sums, a batch sum): tfjs-wasm 4.22 first transposes the whole tensor so
 * those axes come last, then adds each row. Here the rows are added in place, in the same order
 * (row by row, in memory order), so the values are the same bit for bit
 * (tests/engine/tfjs/fused_kernels_test.ts); no transpose. Other reductions run the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, wasmKernelReplacement } from "./replace.ts";
import { allocFloat, floatView } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;

const replacement = wasmKernelReplacement(tf.Sum, sum);

/** Replaces the wasm Sum kernel (idempotent; other reductions still reach the stock one). */
export function registerFastLeadingSum(): void {
  replacement.register();
}

/** The kernel the replacement falls back to (tests compare against it). */
export function stockSum(): tf.KernelFunc | undefined {
  return replacement.stock();
}

/** How many leading axes `axis` names exactly ([0..k) with 0 < k < rank), else 0. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = tf.util.parseAxisParam(axis, [...Array(rank).fill(1)]).sort((a, b) => a - b);
  const k = axes.length;
  return k > 0 && k < rank && axes.every((a, i) => a === i) ? k : 0;
}

function sum(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: Info };
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const k = x.dtype === "float32" ? leadingAxes(axis, x.shape.length) : 0;
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (k === 0 || size === 0) {
    return replacement.fallback(args);
  }
  const inner = x.shape.slice(k);
  const m = inner.reduce((a, b) => a * b, 1), rows = size / m;
  const out = allocFloat(
    backend,
    keepDims ? [...x.shape.slice(0, k).map(() => 1), ...inner] : inner,
  );
  const simd = m % 4 === 0 ? trainKernels(backend) : null;
  if (simd) {
    simd.sum_rows(offsetOf(backend, x), rows, m, offsetOf(backend, out));
    return out;
  }
  const xs = floatView(backend, x), acc = floatView(backend, out);
  acc.fill(0);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < m; j++, i++) acc[j] += xs[i];
  }
  return out;
}
