/** Registers the built-in binarizers, in the order tables list them. */
import "./fp32.ts";
import "./bnn.ts";
import "./xnor.ts";
import "./dorefa.ts";
import "./bireal.ts";
import "./xnorpp.ts";
import "./react.ts";
import "./recu.ts";
import "./fda.ts";

export { binarizerNames, getBinarizer, registerBinarizer } from "./registry.ts";
export type { Binarizer, BinarizerContext, LayerShape, Params } from "./registry.ts";

/** The eight binarizers of the reference benchmark, without the fp32 baseline. */
export const BASELINE_BINARIZERS = [
  "bnn",
  "xnor",
  "dorefa",
  "bireal",
  "xnorpp",
  "react",
  "recu",
  "fda",
] as const;
