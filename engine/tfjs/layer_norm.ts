/**
 * Layer normalisation over the last axis as one fused kernel forward and one backward.
 *
 * Why: `moments`, subtract, rsqrt, scale and shift are ~10 tfjs ops forward and ~20 backward, each
 * a pass over the [tokens, d] activation and an allocation; the ViT runs five LayerNorms per step.
 * Here each row is normalised in one loop: mean and (biased, two-pass) variance in float64,
 * y = (x − mean) · rstd · gamma + beta rounded to float32 once; the backward pass is the closed form
 * dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat)), dxhat = dy · gamma, with dgamma =
 * Σ dy · xhat and dbeta = Σ dy over rows in row order (float64). Not the op chain's bits (it rounds
 * after every op), within float32 rounding of the exact values; deterministic (fixed order).
 * tests/engine/tfjs/layer_norm_test.ts compares with the op chain and its tf.grad gradients.
 * Registered on the wasm and cpu backends (engine/tfjs/heap.ts gives both the same view).
 */
import * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView, HEAP_BACKENDS } from "./heap.ts";

type Info = tf.TensorInfo;
type Tensor = tf.Tensor;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

export const LN_TRAIN = "BibenchLayerNorm";
export const LN_GRAD = "BibenchLayerNormGrad";

/** [y, mean, rstd]: y of x's shape, mean and rstd one per row (x's shape without its last axis). */
function layerNormKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
  const eps = (attrs as { epsilon: number }).epsilon;
  const d = x.shape[x.shape.length - 1];
  const rowShape = x.shape.slice(0, -1);
  const y = allocFloat(backend, x.shape);
  const meanI = allocFloat(backend, rowShape), rstdI = allocFloat(backend, rowShape);
  const xs = floatView(backend, x), ys = floatView(backend, y);
  const g = floatView(backend, gamma), b = floatView(backend, beta);
  const means = floatView(backend, meanI), rstds = floatView(backend, rstdI);
  const rows = means.length;
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += xs[o + j];
    const mean = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = xs[o + j] - mean;
      v += c * c;
    }
    const rstd = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) ys[o + j] = (xs[o + j] - mean) * rstd * g[j] + b[j];
    means[r] = mean;
    rstds[r] = rstd;
  }
  return [y, meanI, rstdI];
}

/** [dx, dgamma, dbeta] from dy and the forward pass's x, gamma, mean and rstd. */
function layerNormGradKernel({ inputs, backend }: KernelArgs): Info[] {
  const { dy, x, gamma, mean, rstd } = inputs as {
    dy: Info;
    x: Info;
    gamma: Info;
    mean: Info;
    rstd: Info;
  };
  const d = x.shape[x.shape.length - 1];
  const dxI = allocFloat(backend, x.shape);
  const dgI = allocFloat(backend, [d]), dbI = allocFloat(backend, [d]);
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, dxI);
  const g = floatView(backend, gamma), means = floatView(backend, mean);
  const rstds = floatView(backend, rstd);
  const dg = new Float64Array(d), db = new Float64Array(d);
  const rows = means.length;
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    const m = means[r], s = rstds[r];
    let sumH = 0, sumHX = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (xs[o + j] - m) * s, dyv = ds[o + j];
      const h = dyv * g[j];
      sumH += h;
      sumHX += h * xhat;
      dg[j] += dyv * xhat;
      db[j] += dyv;
    }
    const mh = sumH / d, mhx = sumHX / d;
    for (let j = 0; j < d; j++) {
      const xhat = (xs[o + j] - m) * s;
      dx[o + j] = s * (ds[o + j] * g[j] - mh - xhat * mhx);
    }
  }
  floatView(backend, dgI).set(dg);
  floatView(backend, dbI).set(db);
  return [dxI, dgI, dbI];
}

let registered = false;

/** Registers the two kernels and the forward one's gradient (global; idempotent). */
export function registerLayerNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HEAP_BACKENDS) {
    tf.registerKernel({
      kernelName: LN_TRAIN,
      backendName,
      kernelFunc: layerNormKernel as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: LN_GRAD,
      backendName,
      kernelFunc: layerNormGradKernel as unknown as tf.KernelFunc,
    });
  }
  tf.registerGradient({
    kernelName: LN_TRAIN,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved) => {
      const [x, gamma, mean, rstd] = saved;
      const dy = (dys as Tensor[])[0];
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        LN_GRAD,
        { dy, x, gamma, mean, rstd },
        {},
      ) as Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/** Layer norm of float32 `x` over its last axis with gain `gamma` and bias `beta`, fused. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): Tensor {
  registerLayerNormKernels();
  const [y, mean, rstd] = tf.engine().runKernel(LN_TRAIN, { x, gamma, beta }, {
    epsilon,
  }) as Tensor[];
  tf.dispose([mean, rstd]);
  return y;
}
