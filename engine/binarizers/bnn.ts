/** BNN (Courbariaux et al. 2016): plain sign on both sides with the clipped STE. */
import { clipSte, sign, withGradient } from "./ops.ts";
import { registerBinarizer } from "./registry.ts";

export default registerBinarizer({
  name: "bnn",
  summary: "sign(x), sign(w); clipped straight-through estimator; no scales",
  binary: true,
  deploy: {
    weightScale: false,
    runtimeActivationScale: false,
    channelOutputScale: false,
    spatialOutputScale: false,
    inputThreshold: false,
  },
  weights: (w) => withGradient(w, sign, clipSte),
  activations: (x) => withGradient(x, sign, clipSte),
});
