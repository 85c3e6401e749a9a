/**
 * DoReFa-Net (Zhou et al. 2016) at 1 bit: sign activations, channel-scaled sign weights. Dense
 * layers follow BiBench's own linear DoReFa layer, whose weight gradient carries the scale.
 */
import { tf } from "../tf.ts";
import {
  channelMeanAbsOf,
  clipSte,
  clipSteOpen,
  scaledSignWeights,
  sign,
  withGradient,
} from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * DoReFa-Net at 1 bit: Zhou, Wu, Ni, Zhou, Wen, Zou, "DoReFa-Net: Training Low Bitwidth
 * Convolutional Neural Networks with Low Bitwidth Gradients" (2016),
 * https://arxiv.org/abs/1606.06160
 *
 * Convolutions:
 * - Forward: a(x) = sign(x), w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: clipped STE, 1_{|x| <= 1} and 1_{|w| <= 1}.
 * - Scales: mean_c |w| per output channel.
 *
 * Dense layers (as BiBench's linear DoReFa layer computes them, followed here on purpose):
 * - Forward: the same values.
 * - Backward: the weight gradient carries the scale, dw_b/dw = mean_c |w| * 1_{|w| < 1}; the
 *   activation gradient is 1_{|x| < 1}. Both use the open interval: at |v| = 1 exactly the
 *   gradient is 0 (the convolution's clipped STE passes it).
 */
export const dorefa: Binarizer = defineBinarizer({
  name: "dorefa",
  summary: "sign(x), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
  },
  weights: (w, _p, _ctx, layer) => layer.kind === "dense" ? denseWeights(w) : scaledSignWeights(w),
  activations: (x, _p, _ctx, layer) =>
    withGradient(x, sign, layer.kind === "dense" ? clipSteOpen : clipSte),
});

function denseWeights(w: tf.Tensor): tf.Tensor {
  return withGradient(
    w,
    (v) => tf.tidy(() => tf.mul(sign(v), channelMeanAbsOf(v))),
    (v) => tf.tidy(() => tf.mul(clipSteOpen(v), channelMeanAbsOf(v))),
  );
}
