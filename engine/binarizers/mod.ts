/**
 * The built-in binarizers, in the order tables list them (fp32 first). Nothing is registered by
 * importing this module: the composition root (app/plugins.ts) registers {@link BUILTIN_BINARIZERS}.
 */
import { fp32 } from "./fp32.ts";
import { bnn } from "./bnn.ts";
import { xnor } from "./xnor.ts";
import { dorefa } from "./dorefa.ts";
import { bireal } from "./bireal.ts";
import { xnorpp } from "./xnorpp.ts";
import { react } from "./react.ts";
import { recu } from "./recu.ts";
import { fda } from "./fda.ts";
import type { Binarizer } from "./registry.ts";

export {
  binarizerNames,
  defineBinarizer,
  getBinarizer,
  NO_DEPLOY_COST,
  registerBinarizer,
} from "./registry.ts";
export type {
  Binarizer,
  BinarizerContext,
  BinarizerSpec,
  DeployInfo,
  LayerShape,
  Params,
} from "./registry.ts";

/** fp32 and the eight binarizers of the reference benchmark, in table order. */
export const BUILTIN_BINARIZERS: readonly Binarizer[] = [
  fp32,
  bnn,
  xnor,
  dorefa,
  bireal,
  xnorpp,
  react,
  recu,
  fda,
];
