/**
 * GELU (tanh form) as one fused kernel forward and one backward, for the ViT's MLP.
 *
 * Why: the op chain 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) is 8 tfjs ops forward and
 * about 15 backward, each a pass over the [tokens, 2 d] activation and an allocation, and
 * tfjs-wasm's Tanh is a scalar libm loop (~4 ms per call at batch 64). Here one SIMD loop
 * (train_kernels.wat) computes each element in float32 (tanh by a rational approximation, `geluT`);
 * a JavaScript loop with the same float32 operations runs where SIMD cannot (same bits). The
 * values are not the op chain's bits (it rounds elsewhere and uses libm's tanh) but within a few
 * float32 ulps of the exact function; deterministic (same input, same bits).
 * tests/engine/tfjs/gelu_test.ts checks values and gradients against the exact (float64) function
 * and the op chain, the SIMD loop against the JavaScript one bit for bit, and determinism.
 * Registered on the wasm and cpu backends (engine/tfjs/heap.ts gives both the same view).
 */
import * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView, HEAP_BACKENDS } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";

type Info = tf.TensorInfo;
type Tensor = tf.Tensor;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend };

export const GELU = "BibenchGeluTanh";
export const GELU_GRAD = "BibenchGeluTanhGrad";

const F = Math.fround;
// float32 constants, as train_kernels.wat's f32.const rounds them.
const C = F(0.7978845608028654), A = F(0.044715), A3 = F(0.134145), CLAMP = F(7.90531110763549805);
const P = [
  -2.76076847742355e-16,
  2.00018790482477e-13,
  -8.60467152213735e-11,
  5.12229709037114e-8,
  1.48572235717979e-5,
  6.37261928875436e-4,
  4.89352455891786e-3,
].map(F);
const Q = [1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3].map(F);

/**
 * t = tanh(C (v + A v³)), with tanh as Eigen's float rational approximation (odd degree 13 over
 * even degree 6, argument clamped to ±7.9053 where float32 tanh is ±1; within a few float32 ulps
 * of tanh). Each step one float32 operation, in train_kernels.wat's order.
 */
function geluT(v: number): number {
  const u = F(C * F(v + F(A * F(F(v * v) * v))));
  const x = u > CLAMP ? CLAMP : u < -CLAMP ? -CLAMP : u;
  const x2 = F(x * x);
  let p = F(F(x2 * P[0]) + P[1]);
  for (let i = 2; i < P.length; i++) p = F(F(p * x2) + P[i]);
  let q = F(F(x2 * Q[0]) + Q[1]);
  for (let i = 2; i < Q.length; i++) q = F(F(q * x2) + Q[i]);
  return F(F(x * p) / q);
}

function geluKernel({ inputs, backend }: KernelArgs): Info {
  const { x } = inputs as { x: Info };
  const out = allocFloat(backend, x.shape);
  const n = x.shape.reduce((a, b) => a * b, 1);
  const k = n % 4 === 0 ? trainKernels(backend) : null;
  if (k) {
    k.gelu(offsetOf(backend, x), offsetOf(backend, out), n);
    return out;
  }
  const xs = floatView(backend, x), ys = floatView(backend, out);
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    ys[i] = F(0.5 * v) * F(1 + geluT(v));
  }
  return out;
}

/** dy · d/dx GELU(x) = dy · (0.5 (1 + t) + 0.5 x (1 − t²) C (1 + 3A x²)). */
function geluGradKernel({ inputs, backend }: KernelArgs): Info {
  const { dy, x } = inputs as { dy: Info; x: Info };
  const out = allocFloat(backend, x.shape);
  const n = x.shape.reduce((a, b) => a * b, 1);
  const k = n % 4 === 0 ? trainKernels(backend) : null;
  if (k) {
    k.gelu_grad(offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, out), n);
    return out;
  }
  const xs = floatView(backend, x), ds = floatView(backend, dy), dx = floatView(backend, out);
  for (let i = 0; i < n; i++) {
    const v = xs[i], t = geluT(v);
    const left = F(0.5 * F(1 + t));
    const right = F(F(F(0.5 * v) * F(1 - F(t * t))) * F(C * F(1 + F(A3 * F(v * v)))));
    dx[i] = ds[i] * F(left + right);
  }
  return out;
}
let registered = false;

/** Registers the two kernels and the forward one's gradient (global; idempotent). */
export function registerGeluKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HEAP_BACKENDS) {
    tf.registerKernel({ kernelName: GELU, backendName, kernelFunc: geluKernel as tf.KernelFunc });
    tf.registerKernel({
      kernelName: GELU_GRAD,
      backendName,
      kernelFunc: geluGradKernel as tf.KernelFunc,
    });
  }
  tf.registerGradient({
    kernelName: GELU,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({
      x: () => tf.engine().runKernel(GELU_GRAD, { dy: dy as Tensor, x }, {}) as Tensor,
    }),
  });
}

/** GELU, tanh form, of a float32 tensor, as one kernel (its gradient one more). */
export function geluTanh(x: Tensor): Tensor {
  registerGeluKernels();
  return tf.engine().runKernel(GELU, { x }, {}) as Tensor;
}
