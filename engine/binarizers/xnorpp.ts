/**
 * XNOR-Net++ (Bulat & Tzimiropoulos 2019): a learnable output scale
 * Gamma = alpha[c_out] * beta[h] * gamma[w] (dense layers: alpha only). The spatial map is what
 * makes it costly to deploy: one float multiply per output element.
 */
import { tf } from "../tf.ts";
import { clipSte, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * XNOR-Net++: Bulat, Tzimiropoulos, "XNOR-Net++: Improved Binary Neural Networks" (BMVC 2019),
 * https://arxiv.org/abs/1909.13863
 *
 * - Forward: a(x) = sign(x), w_b(w) = sign(w); the layer output y becomes y * Gamma with
 *   Gamma = alpha[c_out] * beta[h] * gamma[w] (dense layers: alpha only), all initialised to 1.
 * - Backward: clipped STE, 1_{|x| <= 1} and 1_{|w| <= 1}; alpha, beta, gamma learn by their own
 *   gradients.
 * - Scales: the learnable output scale Gamma (its spatial part costs a multiply per output).
 */
export const xnorpp: Binarizer = defineBinarizer({
  name: "xnorpp",
  summary: "sign(x), sign(w); learnable output scale alpha[c]*beta[h]*gamma[w]; clipped STE",
  binary: true,
  deploy: {
    channelOutputScale: true,
    spatialOutputScale: true,
  },
  params: (layer, _rng, makeVar) => {
    const p = { alpha: makeVar("alpha", tf.ones([layer.outChannels])) };
    if (layer.kind === "conv") {
      const [h, w] = layer.outSpatial!;
      return {
        ...p,
        beta: makeVar("beta", tf.ones([h, 1, 1])),
        gamma: makeVar("gamma", tf.ones([1, w, 1])),
      };
    }
    return p;
  },
  weights: (w) => withGradient(w, sign, clipSte),
  activations: (x) => withGradient(x, sign, clipSte),
  output: (y, p) => {
    let scale: tf.Tensor = p.alpha;
    if (p.beta) scale = tf.mul(tf.mul(p.beta, p.gamma), p.alpha);
    return tf.mul(y, scale);
  },
});
