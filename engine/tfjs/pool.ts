/**
 * A faster and corrected MaxPoolGrad for the wasm backend's 2x2 / stride-2 pooling (every pooling
 * layer of the benchmark's networks). tfjs-wasm 4.22's kernel loops over every input position
 * and, for each, over the windows that contain it; here each window is visited once and routes its
 * gradient to its maximum. The rule is the cpu backend's (and the mathematical one): the first
 * tap in window order holding the window's maximum gets the gradient. The stock wasm kernel has a
 * bug: its running maximum starts at FLT_MIN instead of -Infinity, so a window whose values are
 * all <= 0 passed no gradient at all; that is fixed here, so seeded training differs from engines
 * before the fix (README, "Performance notes"). tests/engine/tfjs/fused_kernels_test.ts checks the
 * rule, ties and non-positive windows. Channels in multiples of 4 run a SIMD loop
 * (train_kernels.wat), others the JavaScript one; any other geometry runs the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelArgs, wasmKernelReplacement } from "./replace.ts";
import { allocFloat, floatView } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;

const replacement = wasmKernelReplacement(tf.MaxPoolGrad, maxPoolGrad);

/** Replaces the wasm MaxPoolGrad kernel (idempotent; other geometries still reach the stock one). */
export function registerFastMaxPoolGrad(): void {
  replacement.register();
}

/** The kernel the replacement falls back to (tests compare against it). */
export function stockMaxPoolGrad(): tf.KernelFunc | undefined {
  return replacement.stock();
}

function maxPoolGrad(args: KernelArgs): Info {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs as { dy: Info; input: Info };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const simple = info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 &&
    info.strideWidth === 2 && info.padInfo.top === 0 && info.padInfo.left === 0 &&
    input.dtype === "float32" && dy.dtype === "float32";
  if (!simple) {
    return replacement.fallback(args);
  }
  const out = allocFloat(backend, input.shape);
  const xs = floatView(backend, input), ds = floatView(backend, dy), dx = floatView(backend, out);
  dx.fill(0);
  const { batchSize, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const c = info.inChannels;
  const row = w * c;
  const k4 = c % 4 === 0 ? trainKernels(backend) : null;
  if (k4) {
    const at = (i: Info) => offsetOf(backend, i);
    k4.max_pool_grad_2x2(at(input), at(dy), at(out), batchSize, h, oh, ow, c, row * 4);
    return out;
  }
  let d = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < oh; i++) {
      const base = (n * h + 2 * i) * row;
      for (let j = 0; j < ow; j++) {
        const p = base + 2 * j * c;
        for (let k = 0; k < c; k++, d++) {
          // First strict maximum in window order wins (a NaN never does: an all-NaN window
          // passes nothing), as on the cpu backend.
          let at = -1, best = -Infinity;
          const t0 = p + k, t1 = t0 + c, t2 = t0 + row, t3 = t2 + c;
          if (xs[t0] > best) best = xs[at = t0];
          if (xs[t1] > best) best = xs[at = t1];
          if (xs[t2] > best) best = xs[at = t2];
          if (xs[t3] > best) best = xs[at = t3];
          if (at >= 0) dx[at] += ds[d];
        }
      }
    }
  }
  return out;
}
