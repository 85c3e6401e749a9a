/** BNN (Courbariaux et al. 2016): plain sign on both sides with the clipped STE. */
import { clipSte, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * BNN: Courbariaux, Hubara, Soudry, El-Yaniv, Bengio, "Binarized Neural Networks: Training Deep
 * Neural Networks with Weights and Activations Constrained to +1 or -1" (2016),
 * https://arxiv.org/abs/1602.02830
 *
 * - Forward: a(x) = sign(x), w_b(w) = sign(w) (sign(0) = +1).
 * - Backward: clipped straight-through estimator, da/dx = 1_{|x| <= 1}, dw_b/dw = 1_{|w| <= 1}.
 * - Scales: none.
 */
export const bnn: Binarizer = defineBinarizer({
  name: "bnn",
  summary: "sign(x), sign(w); clipped straight-through estimator; no scales",
  binary: true,
  weights: (w) => withGradient(w, sign, clipSte),
  activations: (x) => withGradient(x, sign, clipSte),
});
