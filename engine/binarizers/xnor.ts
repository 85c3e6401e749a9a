/**
 * XNOR-Net (Rastegari et al. 2016): channel-wise weight scale and a per-sample activation scale
 * computed at run time — the extra float reduction the deployed network must pay for. Dense layers
 * (transformer, ViT, MLP) follow BiBench's own linear XNOR layer, which differs from its convolution.
 */
import { tf } from "../tf.ts";
import {
  channelAxes,
  channelMeanAbsOf,
  clipSte,
  detach,
  sampleMeanAbsOf,
  scaledSignWeights,
  sign,
  withGradient,
} from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * XNOR-Net: Rastegari, Ordonez, Redmon, Farhadi, "XNOR-Net: ImageNet Classification Using Binary
 * Convolutional Neural Networks" (ECCV 2016), https://arxiv.org/abs/1603.05279
 *
 * Convolutions:
 * - Forward: a(x) = sign(x) * K, K = mean |x| over each sample (computed at run time, detached);
 *   w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: clipped STE on both sides, 1_{|x| <= 1} and 1_{|w| <= 1}.
 * - Scales: K per sample (a float reduction at deploy time), mean_c |w| per output channel.
 *
 * Dense layers (as BiBench's linear XNOR layer computes them, followed here on purpose):
 * - Forward: each output neuron's weights are centred first, v = w - mean_c(w) (the centring is
 *   part of the graph, so its gradient subtracts the per-neuron mean of the incoming gradient);
 *   w_b = sign(v) * mean_c |v| (detached). a(x) = sign(x) * mean |x| over each row (one token or
 *   one sample of features; detached).
 * - Backward: the clipped STE multiplied by the same scale as the forward pass:
 *   dw_b/dv = mean_c |v| * 1_{|v| <= 1}, da/dx = mean|x|_row * 1_{|x| <= 1}.
 */
export const xnor: Binarizer = defineBinarizer({
  name: "xnor",
  summary: "sign(x)*mean|x| per sample (run time), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: true,
  },
  weights: (w, _p, _ctx, layer) => layer.kind === "dense" ? denseWeights(w) : scaledSignWeights(w),
  activations: (x, _p, _ctx, layer) =>
    layer.kind === "dense" ? denseActivations(x) : convActivations(x),
});

function convActivations(x: tf.Tensor): tf.Tensor {
  const scale = detach(sampleMeanAbsOf(x));
  return withGradient(x, (v) => tf.mul(sign(v), scale), clipSte);
}

/** sign(v) * s with d/dv := s * 1_{|v| <= 1}, where s = scaleOf(v) is detached. */
function scaledBoth(v: tf.Tensor, scaleOf: (v: tf.Tensor) => tf.Tensor): tf.Tensor {
  return withGradient(
    v,
    (u) => tf.tidy(() => tf.mul(sign(u), scaleOf(u))),
    (u) => tf.tidy(() => tf.mul(clipSte(u), scaleOf(u))),
  );
}

function denseWeights(w: tf.Tensor): tf.Tensor {
  const centred = tf.sub(w, tf.mean(w, channelAxes(w), true));
  return scaledBoth(centred, channelMeanAbsOf);
}

function denseActivations(x: tf.Tensor): tf.Tensor {
  return scaledBoth(x, sampleMeanAbsOf);
}
