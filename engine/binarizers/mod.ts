/**
 * The binarizer registry's API. Nothing is registered by importing this module: each binarizer
 * is a file here exporting its record, and the composition root (app/plugins.ts) registers them,
 * in the order tables list them (fp32 first).
 */
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
