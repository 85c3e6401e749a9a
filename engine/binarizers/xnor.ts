/**
 * XNOR-Net (Rastegari et al. 2016): channel-wise weight scale and a per-sample activation scale
 * computed at run time — the extra float reduction the deployed network must pay for.
 */
import { tf } from "../tf.ts";
import { clipSte, detach, sampleAxes, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * XNOR-Net: Rastegari, Ordonez, Redmon, Farhadi, "XNOR-Net: ImageNet Classification Using Binary
 * Convolutional Neural Networks" (ECCV 2016), https://arxiv.org/abs/1603.05279
 *
 * - Forward: a(x) = sign(x) * K, K = mean |x| over each sample (computed at run time, detached);
 *   w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: clipped STE on both sides, 1_{|x| <= 1} and 1_{|w| <= 1}.
 * - Scales: K per sample (a float reduction at deploy time), mean_c |w| per output channel.
 */
export const xnor: Binarizer = defineBinarizer({
  name: "xnor",
  summary: "sign(x)*mean|x| per sample (run time), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: true,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => {
    const scale = detach(tf.mean(tf.abs(x), sampleAxes(x), true));
    return withGradient(x, (v) => tf.mul(sign(v), scale), clipSte);
  },
});
