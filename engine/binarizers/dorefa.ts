/** DoReFa-Net (Zhou et al. 2016) at 1 bit: sign activations, channel-scaled sign weights. */
import { clipSte, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { registerBinarizer } from "./registry.ts";

export default registerBinarizer({
  name: "dorefa",
  summary: "sign(x), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: false,
    channelOutputScale: false,
    spatialOutputScale: false,
    inputThreshold: false,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => withGradient(x, sign, clipSte),
});
