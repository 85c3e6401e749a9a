/**
 * ReActNet's RSign (Liu et al. 2020): a learnable per-input-channel threshold before sign, with
 * the ApproxSign gradient. At deploy time the threshold folds into the previous layer.
 */
import { tf } from "../tf.ts";
import { approxSign, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * ReActNet's RSign: Liu, Shen, Savvides, Cheng, "ReActNet: Towards Precise Binary Neural Network
 * with Generalized Activation Functions" (ECCV 2020), https://arxiv.org/abs/2003.03488
 *
 * - Forward: a(x) = sign(x + t[c_in]), t learnable per input channel (initialised to 0);
 *   w_b(w) = sign(w) * mean_c |w| per output channel c (detached).
 * - Backward: ApproxSign for activations, max(0, 2 - 2|x + t|), also t's gradient; clipped STE for
 *   weights.
 * - Scales: mean_c |w| per output channel; the threshold t folds into the previous layer.
 *
 * Deviation from BiBench, dense layers only: its linear ReAct layer computes the ApproxSign
 * gradient at x + t but binarizes sign(x) in the forward pass, so the learned threshold never
 * changes what the layer outputs (and it drops the layer's bias). That is a bug, not the method:
 * here dense layers compute the paper's sign(x + t), the same as convolutions, and keep the bias.
 */
export const react: Binarizer = defineBinarizer({
  name: "react",
  summary: "sign(x + t[c_in]) with learnable threshold and ApproxSign gradient, sign(w)*mean_c|w|",
  binary: true,
  deploy: {
    weightScale: true,
    inputThreshold: true,
  },
  params: (layer, _rng, makeVar) => ({ t: makeVar("t", tf.zeros([layer.inChannels])) }),
  weights: (w) => scaledSignWeights(w),
  activations: (x, p) => withGradient(tf.add(x, p.t), sign, approxSign),
});
