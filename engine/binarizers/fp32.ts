/** Full-precision baseline: identity on weights and activations. */
import { type Binarizer, defineBinarizer } from "./registry.ts";

/**
 * fp32: the full-precision baseline every ratio divides by.
 *
 * - Forward: a(x) = x, w_b(w) = w.
 * - Backward: da/dx = 1, dw_b/dw = 1.
 * - Scales: none. Paper: none (the reference network).
 */
export const fp32: Binarizer = defineBinarizer({
  name: "fp32",
  summary: "full precision (no binarization): the reference every ratio is taken against",
  binary: false,
  weights: (w) => w,
  activations: (x) => x,
});
