/**
 * Zero-copy access to a backend's float32 tensor memory, for the fused training kernels
 * (engine/tfjs/fused.ts): the wasm backend keeps tensors in its WebAssembly heap, the cpu backend
 * in typed arrays. A kernel allocates its outputs first and only then takes views of its inputs,
 * because an allocation may grow the wasm heap and detach earlier views.
 */
import type * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;

/** The backend methods the kernels use (the wasm and cpu backends' own, not in tfjs's types). */
interface WasmLike {
  makeOutput(shape: number[], dtype: "float32"): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}
interface CpuLike {
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): Info;
  data: { get(dataId: unknown): { values: Float32Array } };
}

/** Backends the fused kernels are registered for. */
export const HEAP_BACKENDS = ["wasm", "cpu"] as const;

function isWasm(backend: tf.KernelBackend): boolean {
  return typeof (backend as unknown as Partial<WasmLike>).typedArrayFromHeap === "function";
}

/** A new float32 tensor of `shape` on `backend` (contents unspecified; the kernel fills it). */
export function allocFloat(backend: tf.KernelBackend, shape: number[]): Info {
  if (isWasm(backend)) return (backend as unknown as WasmLike).makeOutput(shape, "float32");
  const size = shape.reduce((a, b) => a * b, 1);
  return (backend as unknown as CpuLike).makeTensorInfo(shape, "float32", new Float32Array(size));
}

/** The float32 contents of `info`, as a live view (writes go to the tensor). */
export function floatView(backend: tf.KernelBackend, info: Info): Float32Array {
  if (info.dtype !== "float32") throw new Error(`fused kernel needs float32, got ${info.dtype}`);
  if (isWasm(backend)) return (backend as unknown as WasmLike).typedArrayFromHeap(info);
  return (backend as unknown as CpuLike).data.get(info.dataId).values;
}
