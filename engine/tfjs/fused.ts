/**
 * Fused training kernels: each replaces a chain of tfjs ops (one pass over memory and one
 * allocation per op) with one pass over the tensor's memory, for the elementwise work that
 * dominated a training step once the convolutions were fast (docs: README, "Performance notes").
 *
 * Every kernel computes **the same float32 values, bit for bit**, as the op chain it replaces
 * (tests/engine/fused_kernels_test.ts compares them on the wasm backend): each intermediate is
 * rounded to float32 where the chain rounded it (Math.fround), and reductions add in the order
 * tfjs-wasm's reductions do (sequentially over the reduced elements, in memory order). So a seeded
 * run trains to the same weights with or without them.
 *
 * - `BibenchSignSte`: sign(x) (0 -> +1) forward; its gradient dy * d(x) for the straight-through
 *   shapes of engine/binarizers/ops.ts (clip, ApproxSign, identity) in one pass.
 * - `BibenchBatchNormTrain` / `BibenchBatchNormGrad`: training-mode batch norm (batch mean and
 *   variance, normalise, scale, shift) and its closed-form backward pass.
 * - Gradients of ClipByValue (Hardtanh) and Relu: one masked pass instead of 3-4 ops.
 * - `BibenchAdam`: one Adam update of a parameter and its moments (13 ops before).
 *
 * Registered on the wasm and cpu backends (engine/tfjs/heap.ts gives both the same view).
 */
import * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView, HEAP_BACKENDS } from "./heap.ts";
import { offsetOf, type TrainKernels, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;
type Tensor = tf.Tensor;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

const fround = Math.fround;

/** Straight-through derivative shapes the fused sign knows (engine/binarizers/ops.ts). */
export type SteKind = "clip" | "approx" | "identity";

export const SIGN_STE = "BibenchSignSte";
export const SIGN_STE_GRAD = "BibenchSignSteGrad";
export const BN_TRAIN = "BibenchBatchNormTrain";
export const BN_GRAD = "BibenchBatchNormGrad";
export const CLIP_GRAD = "BibenchClipGrad";
export const RELU_GRAD = "BibenchReluGrad";
export const ADAM = "BibenchAdam";

/**
 * The SIMD loops (train_kernels.wat) when they can run here: wasm backend, `size` elements and
 * `channels` both multiples of 4 (the networks' tensors are); else null and the JavaScript loop
 * below runs (same values).
 */
function simd(backend: tf.KernelBackend, size: number, channels = 4): TrainKernels | null {
  return size % 4 === 0 && channels % 4 === 0 ? trainKernels(backend) : null;
}

/** A scratch float32 vector in the backend's memory (freed by the caller). */
function scratch(backend: tf.KernelBackend, values: Float32Array): Info {
  const info = allocFloat(backend, [values.length]);
  floatView(backend, info).set(values);
  return info;
}

// The loops are branch-free (comparisons as 0 / 1 numbers, bit masks for selects): the signs
// of activations are random, and a mispredicted branch per element cost 5-10x.

const sizeOf = (info: Info) => info.shape.reduce((a, b) => a * b, 1);

/** train_kernels.wat's codes of the derivative shapes (and of Relu's step). */
const STE_CODE: Record<string, number> = { clip: 0, approx: 1, identity: 2 };
const RELU_CODE = 3;

/** The same memory as 32-bit integers (a select is a bit mask: +0 where the mask is 0). */
function bitsOf(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/** sign(x) with x >= 0 -> +1 (also -0), NaN -> NaN: what 1 - 2 step(-x) gives. */
function signKernel({ inputs, backend }: KernelArgs): Info {
  const { x } = inputs as { x: Info };
  const out = allocFloat(backend, x.shape);
  const k = simd(backend, sizeOf(x));
  if (k) {
    k.sign(offsetOf(backend, x), offsetOf(backend, out), sizeOf(x));
    return out;
  }
  const xs = floatView(backend, x), ys = floatView(backend, out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    ys[i] = v !== v ? v : 1 - 2 * +(v < 0);
  }
  return out;
}

/**
 * dy * d(x): clip = 1{|x| <= 1} (cast of lessEqual(abs(x), 1)); approx = relu(2 - 2|x|) with
 * both roundings; identity = 1 (dy * onesLike(x) = dy).
 */
function signSteGradKernel({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, x } = inputs as { dy: Info; x: Info };
  const kind = (attrs as { ste: SteKind }).ste;
  const out = allocFloat(backend, x.shape);
  const k = simd(backend, sizeOf(x));
  if (k && kind in STE_CODE) {
    k.ste_grad(
      offsetOf(backend, dy),
      offsetOf(backend, x),
      offsetOf(backend, out),
      sizeOf(x),
      STE_CODE[kind],
    );
    return out;
  }
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, out);
  const n = xs.length;
  if (kind === "clip") {
    for (let i = 0; i < n; i++) dx[i] = ds[i] * +(Math.abs(xs[i]) <= 1);
  } else if (kind === "approx") {
    for (let i = 0; i < n; i++) {
      const b = fround(2 - fround(2 * Math.abs(xs[i])));
      dx[i] = ds[i] * Math.max(b, 0);
    }
  } else if (kind === "identity") {
    for (let i = 0; i < n; i++) dx[i] = ds[i] * 1;
  } else {
    throw new Error(`unknown straight-through kind "${kind}"`);
  }
  return out;
}

/** dy where min <= x <= max, else +0: ClipByValue's gradient (a select against zerosLike). */
function clipGradKernel({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, x } = inputs as { dy: Info; x: Info };
  const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
  const lo = fround(clipValueMin), hi = fround(clipValueMax);
  const out = allocFloat(backend, x.shape);
  const k = simd(backend, sizeOf(x));
  if (k) {
    k.clip_grad(
      offsetOf(backend, dy),
      offsetOf(backend, x),
      offsetOf(backend, out),
      sizeOf(x),
      lo,
      hi,
    );
    return out;
  }
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, out);
  const di = bitsOf(ds), oi = bitsOf(dx);
  for (let i = 0; i < xs.length; i++) oi[i] = di[i] & -(+(xs[i] >= lo) & +(xs[i] <= hi));
  return out;
}

/** dy * step(x) (step: 1 if x > 0, 0 otherwise, NaN for NaN): Relu's gradient. */
function reluGradKernel({ inputs, backend }: KernelArgs): Info {
  const { dy, x } = inputs as { dy: Info; x: Info };
  const out = allocFloat(backend, x.shape);
  const k = simd(backend, sizeOf(x));
  if (k) {
    k.ste_grad(
      offsetOf(backend, dy),
      offsetOf(backend, x),
      offsetOf(backend, out),
      sizeOf(x),
      RELU_CODE,
    );
    return out;
  }
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    dx[i] = v !== v ? v : ds[i] * +(v > 0);
  }
  return out;
}

/** Per-channel batch statistics as tf.moments computes them on wasm: sequential float32 sums. */
function channelStats(
  xs: Float32Array,
  channels: number,
  mean: Float32Array,
  variance: Float32Array,
) {
  const n = xs.length / channels;
  const acc = new Float32Array(channels);
  for (let i = 0; i < xs.length; i += channels) {
    for (let c = 0; c < channels; c++) acc[c] += xs[i + c];
  }
  for (let c = 0; c < channels; c++) mean[c] = acc[c] / n;
  acc.fill(0);
  for (let i = 0; i < xs.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = fround(xs[i + c] - mean[c]);
      acc[c] += fround(d * d);
    }
  }
  for (let c = 0; c < channels; c++) variance[c] = acc[c] / n;
}

/** rsqrt(variance + eps), rounded as tf.rsqrt(tf.add(variance, eps)). */
function rstdOf(variance: Float32Array, eps: number): Float32Array {
  const e = fround(eps);
  return variance.map((v) => 1 / fround(Math.sqrt(fround(v + e))));
}

/**
 * Training batch norm over the last axis: outputs [y, mean, variance] with
 * y = ((x - mean) * rsqrt(variance + eps)) * gamma + beta, biased batch variance.
 */
function bnTrainKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
  const eps = (attrs as { epsilon: number }).epsilon;
  const channels = x.shape[x.shape.length - 1];
  const out = allocFloat(backend, x.shape);
  const meanInfo = allocFloat(backend, [channels]);
  const varInfo = allocFloat(backend, [channels]);
  const k = simd(backend, sizeOf(x), channels);
  if (k) {
    const at = (i: Info) => offsetOf(backend, i);
    k.bn_stats(at(x), sizeOf(x), channels, at(meanInfo), at(varInfo));
    const rstd = scratch(backend, rstdOf(floatView(backend, varInfo), eps));
    k.bn_forward(at(x), at(out), sizeOf(x), channels, at(meanInfo), at(rstd), at(gamma), at(beta));
    backend.disposeData(rstd.dataId);
    return [out, meanInfo, varInfo];
  }
  const xs = floatView(backend, x), ys = floatView(backend, out);
  const mean = floatView(backend, meanInfo), variance = floatView(backend, varInfo);
  const g = floatView(backend, gamma), b = floatView(backend, beta);
  channelStats(xs, channels, mean, variance);
  const rstd = rstdOf(variance, eps);
  for (let i = 0; i < xs.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const xhat = fround(fround(xs[i + c] - mean[c]) * rstd[c]);
      ys[i + c] = fround(xhat * g[c]) + b[c];
    }
  }
  return [out, meanInfo, varInfo];
}

/**
 * Closed-form backward pass of `bnTrainKernel`: outputs [dx, dgamma, dbeta] with
 * dx = gamma * (rstd / N) * ((N dy - sum(dy)) - xhat * sum(dy * xhat)), dgamma = sum(dy * xhat),
 * dbeta = sum(dy), rounded in the order engine/nn/layers.ts's op chain rounded them.
 */
function bnGradKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { dy, x, mean, variance, gamma } = inputs as Record<string, Info>;
  const eps = (attrs as { epsilon: number }).epsilon;
  const channels = x.shape[x.shape.length - 1];
  const dxInfo = allocFloat(backend, x.shape);
  const dgInfo = allocFloat(backend, [channels]);
  const dbInfo = allocFloat(backend, [channels]);
  const k = simd(backend, sizeOf(x), channels);
  if (k) {
    const at = (i: Info) => offsetOf(backend, i);
    const n = sizeOf(x) / channels;
    const rstdValues = rstdOf(floatView(backend, variance), eps);
    const g = floatView(backend, gamma);
    const aValues = rstdValues.map((r, c) => g[c] * fround(r / n));
    const rstd = scratch(backend, rstdValues), a = scratch(backend, aValues);
    const [m, sd, sx] = [at(mean), at(dbInfo), at(dgInfo)];
    k.bn_grad_sums(at(dy), at(x), sizeOf(x), channels, m, at(rstd), sd, sx);
    k.bn_grad_dx(at(dy), at(x), at(dxInfo), sizeOf(x), channels, m, at(rstd), at(a), sd, sx, n);
    backend.disposeData(rstd.dataId);
    backend.disposeData(a.dataId);
    return [dxInfo, dgInfo, dbInfo];
  }
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, dxInfo);
  const sumDyXhat = floatView(backend, dgInfo), sumDy = floatView(backend, dbInfo);
  const m = floatView(backend, mean), g = floatView(backend, gamma);
  const rstd = rstdOf(floatView(backend, variance), eps);
  const n = xs.length / channels;
  sumDy.fill(0);
  sumDyXhat.fill(0);
  for (let i = 0; i < xs.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const xhat = fround(fround(xs[i + c] - m[c]) * rstd[c]);
      sumDy[c] += ds[i + c];
      sumDyXhat[c] += fround(ds[i + c] * xhat);
    }
  }
  const a = new Float32Array(channels);
  for (let c = 0; c < channels; c++) a[c] = g[c] * fround(rstd[c] / n);
  for (let i = 0; i < xs.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const xhat = fround(fround(xs[i + c] - m[c]) * rstd[c]);
      const t = fround(fround(ds[i + c] * n) - sumDy[c]);
      dx[i + c] = a[c] * fround(t - fround(xhat * sumDyXhat[c]));
    }
  }
  return [dxInfo, dgInfo, dbInfo];
}

/** Adam's hyperparameters for one step: coefficients as the op chain rounds them to float32. */
export interface AdamCoefficients {
  b1: number;
  b2: number;
  eps: number;
  /** Bias correction 1 - b2^t. */
  c2: number;
  /** Step size lr / (1 - b1^t). */
  step: number;
}

/**
 * One Adam update (engine/nn/optim.ts's op chain) of w, m, v from g: outputs [w', m', v'] with
 * m' = m b1 + g (1 - b1), v' = v b2 + g^2 (1 - b2), w' = w - (m' / (sqrt(v' / c2) + eps)) step,
 * every scalar and every intermediate rounded to float32 as the chain rounds it.
 */
function adamKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { w, g, m, v } = inputs as Record<string, Info>;
  const a = attrs as unknown as AdamCoefficients;
  const [wOut, mOut, vOut] = [w, m, v].map((t) => allocFloat(backend, t.shape));
  const ws = floatView(backend, w), gs = floatView(backend, g);
  const ms = floatView(backend, m), vs = floatView(backend, v);
  const w2 = floatView(backend, wOut), m2 = floatView(backend, mOut), v2 = floatView(backend, vOut);
  const b1 = fround(a.b1), nb1 = fround(1 - a.b1), b2 = fround(a.b2), nb2 = fround(1 - a.b2);
  const c2 = fround(a.c2), eps = fround(a.eps), step = fround(a.step);
  for (let i = 0; i < ws.length; i++) {
    const gi = gs[i];
    const mi = fround(fround(ms[i] * b1) + fround(gi * nb1));
    const vi = fround(fround(vs[i] * b2) + fround(fround(gi * gi) * nb2));
    const denom = fround(fround(Math.sqrt(fround(vi / c2))) + eps);
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = ws[i] - fround(fround(mi / denom) * step);
  }
  return [wOut, mOut, vOut];
}

const KERNELS: ReadonlyArray<[string, (args: KernelArgs) => Info | Info[]]> = [
  [SIGN_STE, signKernel],
  [SIGN_STE_GRAD, signSteGradKernel],
  [CLIP_GRAD, clipGradKernel],
  [RELU_GRAD, reluGradKernel],
  [BN_TRAIN, bnTrainKernel],
  [BN_GRAD, bnGradKernel],
  [ADAM, adamKernel],
];

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs);

let registered = false;

/**
 * Registers the fused kernels on the wasm and cpu backends, the gradients of the two fused
 * forward kernels, and fused gradients for ClipByValue and Relu (global, like tfjs's own;
 * idempotent).
 */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HEAP_BACKENDS) {
    for (const [kernelName, kernelFunc] of KERNELS) {
      tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
    }
  }
  tf.registerGradient({
    kernelName: SIGN_STE,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      x: () => run(SIGN_STE_GRAD, { dy: dy as Tensor, x }, attrs) as Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, gamma, mean, variance] = saved;
      const dy = (dys as Tensor[])[0];
      const [dx, dgamma, dbeta] = run(BN_GRAD, { dy, x, mean, variance, gamma }, attrs) as Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
  tf.registerGradient({
    kernelName: tf.ClipByValue,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      x: () => run(CLIP_GRAD, { dy: dy as Tensor, x }, attrs) as Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => run(RELU_GRAD, { dy: dy as Tensor, x }) as Tensor }),
  });
}

/** sign(x) (0 -> +1) whose gradient is dy * d(x) for the straight-through shape `ste`. */
export function signSte(x: Tensor, ste: SteKind): Tensor {
  return run(SIGN_STE, { x }, { ste }) as Tensor;
}

/**
 * Training-mode batch norm over the last axis: y, and the batch mean and (biased) variance
 * (their gradients are folded into y's, as in the closed form; they are for the moving averages).
 */
export function batchNormTrain(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const [y, mean, variance] = run(BN_TRAIN, { x, gamma, beta }, { epsilon }) as Tensor[];
  return { y, mean, variance };
}

/** One Adam update of (w, m, v) from g, in one pass: [w', m', v'] (see `adamKernel`). */
export function adamUpdate(
  w: Tensor,
  g: Tensor,
  m: Tensor,
  v: Tensor,
  c: AdamCoefficients,
): [Tensor, Tensor, Tensor] {
  return run(ADAM, { w, g, m, v }, { ...c }) as [Tensor, Tensor, Tensor];
}
