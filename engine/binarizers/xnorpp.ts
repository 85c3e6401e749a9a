/**
 * XNOR-Net++ (Bulat & Tzimiropoulos 2019): a learnable output scale
 * Gamma = alpha[c_out] * beta[h] * gamma[w] (dense layers: alpha only). The spatial map is what
 * makes it costly to deploy: one float multiply per output element.
 */
import { tf } from "../tf.ts";
import { clipSte, sign, withGradient } from "./ops.ts";
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The xnorpp binarizer (registered by the composition root, app/plugins.ts). */
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
