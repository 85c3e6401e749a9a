/** BNN (Courbariaux et al. 2016): plain sign on both sides with the clipped STE. */
import { clipSte, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The bnn binarizer (registered by the composition root, app/plugins.ts). */
export const bnn: Binarizer = defineBinarizer({
  name: "bnn",
  summary: "sign(x), sign(w); clipped straight-through estimator; no scales",
  binary: true,
  weights: (w) => withGradient(w, sign, clipSte),
  activations: (x) => withGradient(x, sign, clipSte),
});
