/** Bi-Real Net (Liu et al. 2018): the piecewise-polynomial ApproxSign gradient for activations. */
import { approxSign, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * Bi-Real Net: Liu, Wu, Luo, Yang, Liu, Cheng, "Bi-Real Net: Enhancing the Performance of 1-bit
 * CNNs With Improved Representational Capability and Advanced Training Algorithm" (ECCV 2018),
 * https://arxiv.org/abs/1808.00278
 *
 * - Forward: a(x) = sign(x), w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: ApproxSign for activations, da/dx = max(0, 2 - 2|x|); clipped STE for weights.
 * - Scales: mean_c |w| per output channel.
 */
export const bireal: Binarizer = defineBinarizer({
  name: "bireal",
  summary: "sign(x) with ApproxSign gradient, sign(w)*mean_c|w|",
  binary: true,
  deploy: {
    weightScale: true,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => withGradient(x, sign, approxSign),
});
