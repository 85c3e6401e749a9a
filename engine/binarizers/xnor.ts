/**
 * XNOR-Net (Rastegari et al. 2016): channel-wise weight scale and a per-sample activation scale
 * computed at run time — the extra float reduction the deployed network must pay for.
 */
import { tf } from "../tf.ts";
import { clipSte, detach, sampleAxes, scaledSignWeights, sign, withGradient } from "./ops.ts";
import { registerBinarizer } from "./registry.ts";

export default registerBinarizer({
  name: "xnor",
  summary: "sign(x)*mean|x| per sample (run time), sign(w)*mean_c|w|; clipped STE",
  binary: true,
  deploy: {
    weightScale: true,
    runtimeActivationScale: true,
    channelOutputScale: false,
    spatialOutputScale: false,
    inputThreshold: false,
  },
  weights: (w) => scaledSignWeights(w),
  activations: (x) => {
    const scale = detach(tf.mean(tf.abs(x), sampleAxes(x), true));
    return withGradient(x, (v) => tf.mul(sign(v), scale), clipSte);
  },
});
