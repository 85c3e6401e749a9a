/** Full-precision baseline: identity on weights and activations. */
import { type Binarizer, defineBinarizer } from "./registry.ts";

/** The fp32 binarizer (registered by the composition root, app/plugins.ts). */
export const fp32: Binarizer = defineBinarizer({
  name: "fp32",
  summary: "full precision (no binarization): the reference every ratio is taken against",
  binary: false,
  weights: (w) => w,
  activations: (x) => x,
});
