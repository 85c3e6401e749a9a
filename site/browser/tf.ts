/**
 * The browser's TensorFlow.js: tfjs-core with the wasm backend, nothing else (no layers, no
 * training gradients), in place of engine/tf.ts when the deploy runtime is bundled for the
 * leaderboard site (site/lib/browser_bundle.ts swaps it in). Only the ops the runtime calls are
 * named, so the bundler leaves the others out (a namespace passed on whole would keep them all).
 */
import * as core from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";

/** What engine/deploy/runtime.ts and site/browser/models.ts use of `tf`. */
export const tf = {
  add: core.add,
  clipByValue: core.clipByValue,
  fused: core.fused,
  maxPool: core.maxPool,
  mean: core.mean,
  relu: core.relu,
  reshape: core.reshape,
  tensor: core.tensor,
  tensor1d: core.tensor1d,
  tensor2d: core.tensor2d,
  tensor4d: core.tensor4d,
  env: core.env,
  setBackend: core.setBackend,
  ready: core.ready,
  /** What a device bundle records as the tfjs version (the worker's runner.ts reads it). */
  version: { tfjs: core.version_core },
};
