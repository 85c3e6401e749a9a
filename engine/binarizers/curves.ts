/**
 * What a binarizer computes, as curves: its forward function and its gradient on a grid of inputs,
 * for activations and weights, computed by calling the registered functions (so a plot of them
 * shows the code, not a formula copied beside it). The site's binarizer pages plot them.
 *
 * The inputs form one 1x1 convolution of `points` input channels and one output channel (the form
 * docs/binarizers.md tabulates; xnor's and dorefa's dense layers scale their gradients, see their
 * files): activations are one sample of `points` channels (per-sample scales, e.g. xnor's mean |x|,
 * are taken over the grid), weights one output channel of `points` weights (per-channel scales
 * likewise). Learnable parameters take their initial values; the schedule is the one in force
 * during epoch `epoch` of `epochs`.
 */
import { tf } from "../tf.ts";
import { Rng } from "../rng.ts";
import type { Binarizer, BinarizerContext, LayerShape } from "./registry.ts";

/** One point of a curve. */
export interface CurvePoint {
  side: "activations" | "weights";
  x: number;
  forward: number;
  gradient: number;
}

/** Where the curves are taken. */
export interface CurveOptions {
  from?: number;
  to?: number;
  points?: number;
  /** The epoch (0-based) whose schedule is in force. */
  epoch?: number;
  epochs?: number;
}

/** The curves of `b`, with the schedule value used and the schedule over all epochs. */
export function binarizerCurves(b: Binarizer, opts: CurveOptions = {}): {
  points: CurvePoint[];
  state: Record<string, number>;
  schedule: Record<string, number>[];
} {
  const { from = -2, to = 2, points = 81, epoch = 0, epochs = 3 } = opts;
  const xs = Array.from({ length: points }, (_, i) => from + (i * (to - from)) / (points - 1));
  const layer: LayerShape = {
    kind: "conv",
    weightShape: [1, 1, points, 1],
    inChannels: points,
    outChannels: 1,
    outSpatial: [1, 1],
  };
  const state = b.schedule?.(epoch, epochs) ?? {};
  const schedule = b.schedule
    ? Array.from({ length: epochs }, (_, e) => b.schedule!(e, epochs))
    : [];
  const ctx: BinarizerContext = { training: true, state };
  const vars: tf.Variable[] = [];
  const p = b.params?.(layer, new Rng(0), (_name, init) => {
    const v = tf.variable(init);
    init.dispose();
    vars.push(v);
    return v;
  }) ?? {};
  try {
    const side = (name: CurvePoint["side"], shape: [number, number, number, number]) => {
      const f = (x: tf.Tensor) =>
        name === "activations" ? b.activations(x, p, ctx, layer) : b.weights(x, p, ctx, layer);
      const [fwd, grad] = tf.tidy(() => {
        const x = tf.tensor4d(xs, shape);
        return [f(x).dataSync(), tf.grad((v: tf.Tensor) => tf.sum(f(v)))(x).dataSync()];
      });
      return xs.map((x, i): CurvePoint => ({ side: name, x, forward: fwd[i], gradient: grad[i] }));
    };
    return {
      points: [...side("activations", [1, 1, 1, points]), ...side("weights", [1, 1, points, 1])],
      state,
      schedule,
    };
  } finally {
    for (const v of vars) v.dispose();
  }
}
