/** DoReFa-Net (Zhou et al. 2016) at 1 bit: sign activations, channel-scaled sign weights. */
import { clipSte, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The dorefa binarizer (registered by the composition root, app/plugins.ts). */
export const dorefa: Binarizer = defineBinarizer({
  name: "dorefa",
  summary: "sign(x), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => withGradient(x, sign, clipSte),
});
