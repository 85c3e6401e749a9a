/**
 * The browser's TensorFlow.js: the core ops with the wasm backend, nothing else (no layers, no
 * training gradients), in place of engine/tf.ts when the deploy runtime is bundled for the
 * leaderboard site (site/lib/bundle.ts aliases it). The runtime only needs `tf` itself.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";

export { tf };
