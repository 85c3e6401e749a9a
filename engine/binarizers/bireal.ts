/** Bi-Real Net (Liu et al. 2018): the piecewise-polynomial ApproxSign gradient for activations. */
import { approxSign, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { registerBinarizer } from "./registry.ts";

export default registerBinarizer({
  name: "bireal",
  summary: "sign(x) with ApproxSign gradient, sign(w)*mean_c|w|",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: false,
    channelOutputScale: false,
    spatialOutputScale: false,
    inputThreshold: false,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => withGradient(x, sign, approxSign),
});
