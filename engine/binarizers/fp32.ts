/** Full-precision baseline: identity on weights and activations. */
import { registerBinarizer } from "./registry.ts";

export default registerBinarizer({
  name: "fp32",
  summary: "full precision (no binarization): the reference every ratio is taken against",
  binary: false,
  deploy: {
    weightScale: false,
    runtimeActivationScale: false,
    channelOutputScale: false,
    spatialOutputScale: false,
    inputThreshold: false,
  },
  weights: (w) => w,
  activations: (x) => x,
});
