/**
 * ReCU (Xu et al. 2021): standardised, clamped ("revived") latent weights and a learnable output
 * scale; activations normalised by their per-sample std while training. Formulas and the tau
 * schedule: docs/binarizers.md. Variances are unbiased, as torch's `var` is.
 */
import { tf } from "../tf.ts";
import {
  approxSign,
  channelAxes,
  clampSymmetric,
  identity,
  sampleAxes,
  sign,
  unbiasedVar,
  withGradient,
} from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** tau rises from 0.85 to 0.99: tau = A * e^(epoch/epochs) + B. */
export function recuTau(epoch: number, epochs: number): number {
  const A = (0.99 - 0.85) / (Math.E - 1);
  const B = 0.85 - A;
  return A * Math.exp(epoch / epochs) + B;
}

/**
 * ReCU: Xu, Lin, Zhang, Ding, Ji, Wu, Tian, Ji, "ReCU: Reviving the Dead Weights in Binary Neural
 * Networks" (ICCV 2021), https://arxiv.org/abs/2103.12369
 *
 * - Forward: activations a(x) = sign(x / sqrt(var(x) + 1e-5)) while training (per sample,
 *   unbiased variance), sign(x) in evaluation; weights standardised per output channel,
 *   w1 = 2 sqrt(2) (w - mean_c w) / sqrt(var_c(w) + 1e-5), clamped to [-Q, Q] with
 *   Q = -mean|w1| * ln(2 - 2 tau), then w_b = sign(clamp(w1)).
 * - Backward: ApproxSign for activations; plain STE through sign for weights (the clamp's own
 *   gradient, 1 inside [-Q, Q]).
 * - Scales: a learnable output scale alpha[c_out] (initialised uniform in [0, 1)).
 * - Schedule: tau = A e^(epoch / epochs) + B, rising from 0.85 to 0.99 ({@link recuTau}).
 */
export const recu: Binarizer = defineBinarizer({
  name: "recu",
  summary: "sign(x/std(x)) in training, revived standardised clamped weights, learnable alpha[c]",
  binary: true,
  deploy: {
    channelOutputScale: true,
  },
  params: (layer, rng, makeVar) => {
    const a = new Float32Array(layer.outChannels);
    for (let i = 0; i < a.length; i++) a[i] = rng.next();
    return { alpha: makeVar("alpha", tf.tensor1d(a)) };
  },
  schedule: (epoch, epochs) => ({ tau: recuTau(epoch, epochs) }),
  weights: (w, _p, ctx) => {
    const axes = channelAxes(w);
    const w0 = tf.sub(w, tf.mean(w, axes, true));
    const w1 = tf.div(tf.mul(w0, 2 * Math.SQRT2), tf.sqrt(tf.add(unbiasedVar(w0, axes), 1e-5)));
    const tau = ctx.state.tau ?? recuTau(0, 1);
    const q = tf.mul(tf.neg(tf.mean(tf.abs(w1))), Math.log(2 - 2 * tau));
    const w2 = clampSymmetric(w1, q);
    return withGradient(w2, sign, identity);
  },
  activations: (x, _p, ctx) => {
    const a0 = ctx.training ? tf.div(x, tf.sqrt(tf.add(unbiasedVar(x, sampleAxes(x)), 1e-5))) : x;
    return withGradient(a0, sign, approxSign);
  },
  output: (y, p) => tf.mul(y, p.alpha),
});
