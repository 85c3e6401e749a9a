/** DoReFa-Net (Zhou et al. 2016) at 1 bit: sign activations, channel-scaled sign weights. */
import { clipSte, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * DoReFa-Net at 1 bit: Zhou, Wu, Ni, Zhou, Wen, Zou, "DoReFa-Net: Training Low Bitwidth
 * Convolutional Neural Networks with Low Bitwidth Gradients" (2016),
 * https://arxiv.org/abs/1606.06160
 *
 * - Forward: a(x) = sign(x), w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: clipped STE, 1_{|x| <= 1} and 1_{|w| <= 1}.
 * - Scales: mean_c |w| per output channel.
 */
export const dorefa: Binarizer = defineBinarizer({
  name: "dorefa",
  summary: "sign(x), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => withGradient(x, sign, clipSte),
});
