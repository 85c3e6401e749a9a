/**
 * The shared pieces binarizers are made of: a sign that maps 0 to +1 (the deploy convention),
 * straight-through gradient shapes, detached scales. Formulas: docs/binarizers.md.
 */
import { tf } from "../tf.ts";
import { signSte, type SteKind } from "../tfjs/fused.ts";

type Tensor = tf.Tensor;

/** sign(v) = +1 if v >= 0 else -1 (zero maps to +1, as the bit-packed kernels do). */
export function sign(x: Tensor): Tensor {
  return tf.tidy(() => tf.sub(1, tf.mul(2, tf.step(tf.neg(x)))));
}

/**
 * `forward(x)` with a hand-given derivative: d/dx := derivative(x) (elementwise), i.e. the
 * backward pass is dy * derivative(x). This is how every STE variant is expressed.
 */
export function withGradient(
  x: Tensor,
  forward: (x: Tensor) => Tensor,
  derivative: (x: Tensor) => Tensor,
): Tensor {
  // sign with a known derivative: one fused kernel each way, bit-identical (engine/tfjs/fused.ts).
  const fused = forward === sign ? FUSED_STE.get(derivative) : undefined;
  if (fused) return signSte(x, fused);
  const f = tf.customGrad((input, save) => {
    const v = input as Tensor;
    (save as tf.GradSaveFunc)([v]);
    return {
      value: forward(v),
      gradFunc: (dy, saved) => tf.mul(dy, derivative((saved as Tensor[])[0])),
    };
  });
  return f(x);
}

/** The derivatives below that the fused sign kernel computes itself. */
const FUSED_STE = new Map<(x: Tensor) => Tensor, SteKind>();

/** Stops gradients: the value of x, with zero gradient ("detached" in the reference). */
export function detach(x: Tensor): Tensor {
  const f = tf.customGrad((input) => ({
    value: tf.clone(input as Tensor),
    gradFunc: (dy) => tf.zerosLike(dy),
  }));
  return f(x);
}

/**
 * clamp(x, -q, q) for a scalar bound q that gets no gradient; x gets the clamp's own gradient
 * (1 inside [-q, q], 0 outside). (tfjs's Minimum/Maximum gradients do not reduce broadcast
 * shapes, hence a custom gradient.)
 */
export function clampSymmetric(x: Tensor, q: Tensor): Tensor {
  const f = tf.customGrad((a, b, save) => {
    const [v, bound] = [a as Tensor, b as Tensor];
    (save as tf.GradSaveFunc)([v, bound]);
    return {
      value: tf.minimum(tf.maximum(v, tf.neg(bound)), bound),
      gradFunc: (dy, saved) => {
        const [sv, sb] = saved as Tensor[];
        return [tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(sv), sb), "float32")), tf.zerosLike(sb)];
      },
    };
  });
  return f(x, q);
}

/** clipSTE: 1 where |x| <= 1, else 0. */
export function clipSte(x: Tensor): Tensor {
  return tf.tidy(() => tf.cast(tf.lessEqual(tf.abs(x), 1), "float32"));
}

/** clipSTE on the open interval: 1 where |x| < 1, else 0 (the edge |x| = 1 gets no gradient). */
export function clipSteOpen(x: Tensor): Tensor {
  return tf.tidy(() => tf.cast(tf.less(tf.abs(x), 1), "float32"));
}

/** ApproxSign (Bi-Real): 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere = max(0, 2 - 2|x|). */
export function approxSign(x: Tensor): Tensor {
  return tf.tidy(() => tf.relu(tf.sub(2, tf.mul(2, tf.abs(x)))));
}

/** Identity derivative (plain STE). */
export function identity(x: Tensor): Tensor {
  return tf.onesLike(x);
}

/**
 * FDA's Fourier-series gradient: (4 omega / pi) * sum_{i=0..n} cos((2i+1) omega x), zeroed where
 * |x| > 1; omega = 0.1. The sum has the closed form sin(2(n+1) t) / (2 sin t) with t = omega x
 * (n + 1 at t = 0), which costs two sines instead of n + 1 cosines per element.
 */
export function fourier(n: number, omega = 0.1): (x: Tensor) => Tensor {
  return (x) =>
    tf.tidy(() => {
      const t = tf.mul(x, omega);
      const small = tf.less(tf.abs(t), 1e-4);
      const safe = tf.where(small, tf.onesLike(t), t);
      const ratio = tf.div(tf.sin(tf.mul(safe, 2 * (n + 1))), tf.mul(tf.sin(safe), 2));
      const sum = tf.where(small, tf.fill(t.shape, n + 1), ratio);
      const inside = tf.cast(tf.lessEqual(tf.abs(x), 1), "float32");
      return tf.mul(tf.mul(sum, (4 * omega) / Math.PI), inside);
    });
}

/** Axes of everything but the output-channel (last) axis of a HWIO / [in, out] weight. */
export function channelAxes(w: Tensor): number[] {
  return [...Array(w.rank - 1).keys()];
}

/** Axes of everything but the batch (first) axis: per-sample statistics. */
export function sampleAxes(x: Tensor): number[] {
  return [...Array(x.rank).keys()].slice(1);
}

/** mean_c|w|: one value per output channel, detached, broadcastable against w. */
export function channelMeanAbs(w: Tensor): Tensor {
  return detach(tf.mean(tf.abs(w), channelAxes(w), true));
}

/**
 * mean_c|w| without detaching, for use inside a hand-given derivative (which records no gradient
 * of its own): one value per output channel, broadcastable against w.
 */
export function channelMeanAbsOf(w: Tensor): Tensor {
  return tf.tidy(() => tf.mean(tf.abs(w), channelAxes(w), true));
}

/** mean|x| per sample (over every axis but the first), broadcastable against x; not detached. */
export function sampleMeanAbsOf(x: Tensor): Tensor {
  return tf.tidy(() => tf.mean(tf.abs(x), sampleAxes(x), true));
}

/** sign(w) * mean_c|w| (scale detached) with clipSTE on the whole: the reference's pattern. */
export function scaledSignWeights(w: Tensor): Tensor {
  const scale = channelMeanAbs(w);
  return withGradient(w, (v) => tf.mul(sign(v), scale), clipSte);
}

/** Unbiased variance over `axes` (torch's default `var`), keeping dims. */
export function unbiasedVar(x: Tensor, axes: number[]): Tensor {
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const { variance } = tf.moments(x, axes, true);
  return tf.mul(variance, n / Math.max(1, n - 1));
}

FUSED_STE.set(clipSte, "clip").set(approxSign, "approx").set(identity, "identity");
