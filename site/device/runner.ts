/**
 * The seam between a deployed-model file (BBDM, engine/deploy/format.ts) and a browser: given the
 * model's bytes and the WebAssembly it needs, a runner. The full-precision side runs on tfjs-wasm
 * (its SIMD build, handed over as bytes: the site works from file:// with no network), the
 * binarized layers on the bit-packed kernels — the same `DeployRuntime` the infer track times.
 * The worker hands it the published model files the page read (site/assets/device.js); tests
 * hand it their own ({@link runnerOf}).
 */
import { tf } from "../../engine/tf.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BinaryKernels } from "../../engine/kernels/wasm.ts";
import { DeployRuntime } from "../../engine/deploy/runtime.ts";

/** The WebAssembly modules a runner needs, as bytes. */
export interface BrowserWasm {
  /** engine/kernels/binary.wasm. */
  kernels: Uint8Array;
  /** tfjs-backend-wasm-simd.wasm (the kernels need SIMD, so its plain build is never used). */
  tfjsSimd: Uint8Array;
}

/** A loaded model: runs batches of flattened samples, returns the logits. */
export interface Runner {
  inputShape: number[];
  numClasses: number;
  /** Model file size in bytes. */
  fileBytes: number;
  run(x: Float32Array, n: number): Float32Array;
  dispose(): void;
}

let shared: Promise<BinaryKernels> | undefined;

/** Starts tfjs-wasm and the kernels once (every runner shares them). */
function initWasm(w: BrowserWasm): Promise<BinaryKernels> {
  shared ??= (async () => {
    const url = URL.createObjectURL(
      new Blob([w.tfjsSimd as BlobPart], { type: "application/wasm" }),
    );
    // One thread: workers of workers would need cross-origin isolation, which file:// lacks.
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    setWasmPaths({
      "tfjs-backend-wasm.wasm": url,
      "tfjs-backend-wasm-simd.wasm": url,
      "tfjs-backend-wasm-threaded-simd.wasm": url,
    });
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs-wasm did not start");
    await tf.ready();
    return await BinaryKernels.load(w.kernels);
  })();
  return shared;
}

/** The tfjs version the full-precision side runs on. */
export function tfjsVersion(): string {
  return tf.version.tfjs;
}

/** A runner for one deployed-model file. */
export async function loadRunner(bytes: Uint8Array, w: BrowserWasm): Promise<Runner> {
  const kernels = await initWasm(w);
  return runnerOf(await DeployRuntime.load(bytes, { kernels }));
}

/** The runner of a loaded deploy runtime. */
export function runnerOf(rt: DeployRuntime): Runner {
  return {
    inputShape: [...rt.header.inputShape],
    numClasses: rt.header.numClasses,
    fileBytes: rt.fileBytes,
    run: (x, n) => rt.run(x, n),
    dispose: () => rt.dispose(),
  };
}
