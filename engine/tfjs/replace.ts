/**
 * Replacing one of tfjs-wasm's kernels with our own while keeping the stock kernel as the
 * fallback for the cases ours does not cover. Every replacement in this folder (MaxPoolGrad,
 * Transpose, BatchMatMul, Sum) registers the same way: the stock kernel binds its wasm function in
 * its `setupFunc` at backend set-up, so the replacement keeps that set-up, and registering twice
 * is a no-op.
 */
import * as tf from "@tensorflow/tfjs";

/** A kernel's arguments as tfjs passes them. */
export type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

/** One replaced wasm kernel. */
export interface WasmKernelReplacement {
  /** Registers the replacement (idempotent). */
  register(): void;
  /** Runs the stock kernel (what the replacement calls for the cases it leaves alone). */
  fallback(args: KernelArgs): tf.TensorInfo;
  /** The stock kernel once replaced (tests compare against it). */
  stock(): tf.KernelFunc | undefined;
}

/** The replacement of wasm kernel `kernelName` by `kernel`. */
export function wasmKernelReplacement(
  kernelName: string,
  kernel: (args: KernelArgs) => tf.TensorInfo,
): WasmKernelReplacement {
  const func = kernel as unknown as tf.KernelFunc;
  let stock: tf.KernelFunc | undefined;
  return {
    register() {
      const current = tf.getKernel(kernelName, "wasm");
      if (current?.kernelFunc === func) return;
      stock = current?.kernelFunc;
      if (current) tf.unregisterKernel(kernelName, "wasm");
      tf.registerKernel({
        kernelName,
        backendName: "wasm",
        kernelFunc: func,
        setupFunc: current?.setupFunc,
      });
    },
    fallback(args) {
      if (!stock) throw new Error(`the wasm backend has no ${kernelName} kernel`);
      return stock(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    },
    stock: () => stock,
  };
}
