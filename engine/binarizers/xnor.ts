/**
 * XNOR-Net (Rastegari et al. 2016): channel-wise weight scale and a per-sample activation scale
 * computed at run time — the extra float reduction the deployed network must pay for.
 */
import { tf } from "../tf.ts";
import { clipSte, detach, sampleAxes, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The xnor binarizer (registered by the composition root, app/plugins.ts). */
export const xnor: Binarizer = defineBinarizer({
  name: "xnor",
  summary: "sign(x)*mean|x| per sample (run time), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: true,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => {
    const scale = detach(tf.mean(tf.abs(x), sampleAxes(x), true));
    return withGradient(x, (v) => tf.mul(sign(v), scale), clipSte);
  },
});
