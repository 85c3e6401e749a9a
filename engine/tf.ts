/**
 * One place that owns TensorFlow.js: which backend runs, and the kernels the wasm backend lacks.
 *
 * The wasm backend (SIMD + XNNPACK) is ~25x faster than `cpu` on this machine, but ships without
 * the filter gradient of convolutions; `registerWasmGradients` fills that gap so training works.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmGradients } from "./tfjs/grads.ts";
import { registerTrainConv } from "./tfjs/conv_forward.ts";
import { registerFastMatMulGradient } from "./tfjs/matmul.ts";
import { registerFastBatchMatMul } from "./tfjs/batch_matmul.ts";
import { registerFastTranspose } from "./tfjs/transpose.ts";
import { registerFusedKernels } from "./tfjs/fused.ts";
import { registerGeluKernels } from "./tfjs/gelu.ts";
import { registerLayerNormKernels } from "./tfjs/layer_norm.ts";
import { registerFastMaxPoolGrad } from "./tfjs/pool.ts";
import { registerFastLeadingSum } from "./tfjs/reduce.ts";

export { tf };

// tfjs's cpu backend advises, on first use under Node-like runtimes, to install its native Node
// backend: wrong advice here (Deno, wasm backend). PROD silences tfjs's warnings; numerics are
// unchanged.
tf.env().set("PROD", true);

/** Backends the benchmark can train on. */
export const BACKENDS = ["wasm", "cpu"] as const;
export type BackendName = typeof BACKENDS[number];

let wasmPathsSet = false;

/** Directory URL (with trailing slash) holding the local tfjs-backend-wasm `.wasm` files. */
export function wasmDir(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  return new URL("./", entry).href;
}

/**
 * Selects and initialises a backend. Safe to call repeatedly; switching is allowed (tests compare
 * wasm against cpu in one process).
 */
export async function initBackend(name: BackendName = "wasm"): Promise<void> {
  if (!BACKENDS.includes(name)) {
    throw new Error(`unknown backend "${name}" (expected one of: ${BACKENDS.join(", ")})`);
  }
  registerFusedKernels();
  registerTrainConv();
  registerGeluKernels();
  registerLayerNormKernels();
  if (name === "wasm") {
    if (!wasmPathsSet) {
      // Local files only: the benchmark must run with no network.
      setWasmPaths(wasmDir());
      registerWasmGradients();
      registerFastMatMulGradient();
      registerFastBatchMatMul();
      registerFastTranspose();
      registerFastMaxPoolGrad();
      registerFastLeadingSum();
      wasmPathsSet = true;
    }
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`could not initialise the tfjs "${name}" backend`);
  await tf.ready();
}

/** What the environment fingerprint records about the numeric backend. */
export function backendInfo(): { backend: string; tfjs: string; simd: boolean } {
  const backend = tf.getBackend();
  let simd = false;
  if (backend === "wasm") {
    try {
      simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
    } catch {
      simd = false;
    }
  }
  return { backend, tfjs: tf.version.tfjs, simd };
}
