/**
 * FDA (Xu et al. 2021): a Fourier-series gradient for sign, plus a small learnable
 * "noise adaptation" term whose weight alpha_e decays to 0 by the last epoch, so the network
 * that is evaluated and deployed at the end is purely binary. As in the reference, the noise
 * term is added whenever alpha_e > 0 (validation during training included).
 *
 * Noise adaptation (reference `NoiseAdaption`): x -> fc2(relu(fc1(x))) + 0.1*sin(x), a
 * bottleneck d -> d/64 -> d (d/4 when d < 64, at least 1); over the flattened weights of each
 * output channel, and over the channels of each activation position.
 */
import { tf } from "../tf.ts";
import { channelMeanAbs, fourier, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer, type LayerShape } from "./registry.ts";
import type { Rng } from "../rng.ts";

/** Schedule: n = 9 + floor(9 e / E); alpha_e = 0.05 (1 + cos(pi (e + 1) / E)). */
export function fdaSchedule(epoch: number, epochs: number): { n: number; alpha: number } {
  return {
    n: 9 + Math.floor((9 * epoch) / epochs),
    alpha: 0.05 * (1 + Math.cos((Math.PI * (epoch + 1)) / epochs)),
  };
}

function bottleneck(d: number): number {
  return d >= 64 ? Math.floor(d / 64) : Math.max(1, Math.floor(d / 4));
}

/** Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), torch's default Linear init. */
function linearInit(rng: Rng, fanIn: number, fanOut: number): tf.Tensor {
  const b = 1 / Math.sqrt(fanIn);
  const a = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * b;
  return tf.tensor2d(a, [fanIn, fanOut]);
}

function noise(v: tf.Tensor, fc1: tf.Tensor, fc2: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(tf.relu(tf.matMul(v, fc1)), fc2), tf.mul(tf.sin(v), 0.1));
}

/** Weight rows per output channel: HWIO -> [cout, kh*kw*cin] and back. */
function weightRows(w: tf.Tensor): tf.Tensor {
  const cout = w.shape[w.rank - 1];
  return tf.reshape(tf.transpose(w, [w.rank - 1, ...[...Array(w.rank - 1).keys()]]), [cout, -1]);
}

function fromWeightRows(rows: tf.Tensor, layer: LayerShape): tf.Tensor {
  const shape = layer.weightShape;
  const cout = shape[shape.length - 1];
  const r = tf.reshape(rows, [cout, ...shape.slice(0, -1)]);
  return tf.transpose(r, [...Array(shape.length - 1).keys()].map((i) => i + 1).concat([0]));
}

/**
 * FDA: Xu, Li, Zhang, Li, Tian, Ji, "Learning Frequency Domain Approximation for Binary Neural
 * Networks" (NeurIPS 2021), https://arxiv.org/abs/2103.00841
 *
 * - Forward: a(x) = sign(x) + alpha_e * (MLP_a(x) + 0.1 sin x) while alpha_e > 0;
 *   w_b(w) = (sign(w) + alpha_e * (MLP_w(w) + 0.1 sin w)) * mean_c |w| per output channel c.
 * - Backward: the Fourier series of the square wave, d sign/dx ~ (4 omega / pi) *
 *   sum_{i=0..n} cos((2i + 1) omega x), omega = 0.1, zero where |x| > 1; plus the noise term's
 *   own gradient.
 * - Scales: mean_c |w| per output channel.
 * - Schedule: n = 9 + floor(9 e / E) terms, alpha_e = 0.05 (1 + cos(pi (e + 1) / E)), 0 by the
 *   last epoch ({@link fdaSchedule}).
 */
export const fda: Binarizer = defineBinarizer({
  name: "fda",
  summary: "sign with Fourier-series gradient; decaying learnable noise adaptation; mean_c|w|",
  binary: true,
  deploy: {
    weightScale: true,
  },
  params: (layer, rng, makeVar) => {
    const d = layer.weightShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const c = layer.inChannels;
    return {
      w1: makeVar("noise_w1", linearInit(rng, d, bottleneck(d))),
      w2: makeVar("noise_w2", linearInit(rng, bottleneck(d), d)),
      a1: makeVar("noise_a1", linearInit(rng, c, bottleneck(c))),
      a2: makeVar("noise_a2", linearInit(rng, bottleneck(c), c)),
    };
  },
  schedule: fdaSchedule,
  weights: (w, p, ctx, layer) => {
    const { n, alpha } = { ...fdaSchedule(0, 1), ...ctx.state };
    let bw = withGradient(w, sign, fourier(n));
    if (alpha > 0) {
      bw = tf.add(bw, tf.mul(fromWeightRows(noise(weightRows(w), p.w1, p.w2), layer), alpha));
    }
    return tf.mul(bw, channelMeanAbs(w));
  },
  activations: (x, p, ctx) => {
    const { n, alpha } = { ...fdaSchedule(0, 1), ...ctx.state };
    const bx = withGradient(x, sign, fourier(n));
    if (alpha <= 0) return bx;
    const c = x.shape[x.rank - 1];
    const e = tf.reshape(noise(tf.reshape(x, [-1, c]), p.a1, p.a2), x.shape);
    return tf.add(bx, tf.mul(e, alpha));
  },
});
