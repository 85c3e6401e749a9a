/** Bi-Real Net (Liu et al. 2018): the piecewise-polynomial ApproxSign gradient for activations. */
import { approxSign, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The bireal binarizer (registered by the composition root, app/plugins.ts). */
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
