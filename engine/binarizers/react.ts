/**
 * ReActNet's RSign (Liu et al. 2020): a learnable per-input-channel threshold before sign, with
 * the ApproxSign gradient. At deploy time the threshold folds into the previous layer.
 */
import { tf } from "../tf.ts";
import { approxSign, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The react binarizer (registered by the composition root, app/plugins.ts). */
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
