/**
 * The attention's softmax with negligible values dropped: probabilities below 2^-100 are 0, and
 * so are the entries of its gradient dS = y (dy - sum(y dy)) below 2^-100.
 *
 * Why: a binarized network's attention is peaked (integer-valued Q K^T), so its softmax holds
 * tiny probabilities and its gradient tiny products of them, many of them subnormal floats, and
 * every float operation on a subnormal takes a microcode assist on Intel CPUs: in a ViT / bnn
 * training step ~26,000 subnormal operands reached the attention's and projections' matrix
 * products, which ran 3-8x slower than fp32's (the step 1.5x slower). Values 30 orders of
 * magnitude below a probability's or a gradient's scale change nothing but bits; CPU frameworks
 * flush subnormals to zero anyway (TensorFlow sets FTZ / DAZ on x86).
 *
 * Forward: tfjs's softmax, then one pass that drops (`BibenchDropNegligible`). Backward: one
 * kernel (`BibenchSoftmaxDropGrad`) per row of the last axis: s = sum of y·dy (float64, in order),
 * then y·(dy − s) in float64, rounded once to float32, 0 below 2^-100 — one pass instead of
 * tfjs's four ops. Deterministic (same inputs, same bits); registered on the wasm and cpu
 * backends. tests/engine/nn/attention_softmax_test.ts checks values, gradient bits and that a
 * ViT / bnn step feeds its products (almost) no subnormals.
 */
import * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView, HEAP_BACKENDS } from "./heap.ts";

type Info = tf.TensorInfo;
type Tensor = tf.Tensor;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend };

/** Below this magnitude a probability or a gradient entry is dropped (2^-100, about 7.9e-31). */
export const NEGLIGIBLE = 2 ** -100;

export const DROP = "BibenchDropNegligible";
export const SOFTMAX_DROP_GRAD = "BibenchSoftmaxDropGrad";

/** v, or 0 where |v| < 2^-100 (NaN stays NaN). */
const drop = (v: number) => v < NEGLIGIBLE && v > -NEGLIGIBLE ? 0 : v;

function dropKernel({ inputs, backend }: KernelArgs): Info {
  const { x } = inputs as { x: Info };
  const out = allocFloat(backend, x.shape);
  const xs = floatView(backend, x), ys = floatView(backend, out);
  for (let i = 0; i < xs.length; i++) ys[i] = drop(xs[i]);
  return out;
}

function gradKernel({ inputs, backend }: KernelArgs): Info {
  const { dy, y } = inputs as { dy: Info; y: Info };
  const out = allocFloat(backend, y.shape);
  const ys = floatView(backend, y), ds = floatView(backend, dy), dx = floatView(backend, out);
  const l = y.shape[y.shape.length - 1];
  for (let r = 0; r < ys.length; r += l) {
    let s = 0;
    for (let j = r; j < r + l; j++) s += ys[j] * ds[j];
    for (let j = r; j < r + l; j++) dx[j] = drop(ys[j] * (ds[j] - s));
  }
  return out;
}

let registered = false;

/** Registers the two kernels (global; idempotent). */
export function registerSoftmaxDropKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HEAP_BACKENDS) {
    tf.registerKernel({ kernelName: DROP, backendName, kernelFunc: dropKernel as tf.KernelFunc });
    tf.registerKernel({
      kernelName: SOFTMAX_DROP_GRAD,
      backendName,
      kernelFunc: gradKernel as tf.KernelFunc,
    });
  }
}

/** Softmax over the last axis of a float32 tensor, negligible values dropped (see the module). */
export function softmaxDropNegligible(scores: Tensor): Tensor {
  registerSoftmaxDropKernels();
  const f = tf.customGrad((s, save) => {
    const y = tf.tidy(() =>
      tf.engine().runKernel(DROP, { x: tf.softmax(s as Tensor) }, {}) as Tensor
    );
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy, saved) =>
        tf.engine().runKernel(SOFTMAX_DROP_GRAD, { dy, y: (saved as Tensor[])[0] }, {}) as Tensor,
    };
  });
  return f(scores);
}
