/**
 * Loads train_kernels.wasm (the SIMD loops of the fused training kernels) against the tfjs wasm
 * backend's own memory, so the loops read and write tensors where they live (no copies). `deno
 * task build:kernels` compiles train_kernels.wat into the committed train_kernels.wasm;
 * tests/engine/tfjs/fused_kernels_test.ts checks it is not stale.
 */
import type * as tf from "@tensorflow/tfjs";

/** Path of the WAT source. */
export const TRAIN_WAT_URL: URL = new URL("./train_kernels.wat", import.meta.url);
/** Path of the committed module. */
export const TRAIN_WASM_URL: URL = new URL("./train_kernels.wasm", import.meta.url);

/** The module's exports (pointers are byte offsets in the backend's heap, counts in elements). */
export interface TrainKernels {
  /** 1 where the convolutions' multiply-add rounds once (the CPU has FMA), 0 otherwise. */
  madd_fused(): number;
  sign(x: number, y: number, n: number): void;
  ste_grad(dy: number, x: number, dx: number, n: number, kind: number): void;
  clip_grad(dy: number, x: number, dx: number, n: number, lo: number, hi: number): void;
  sum_rows(x: number, rows: number, m: number, out: number): void;
  gelu(x: number, y: number, n: number): void;
  transpose_2d(x: number, y: number, rows: number, cols: number): void;
  gelu_grad(dy: number, x: number, dx: number, n: number): void;
  batch_matmul(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    k: number,
    n: number,
  ): void;
  max_pool_grad_2x2(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    oh: number,
    ow: number,
    c: number,
    row: number,
  ): void;
  conv_input_grad_tap(
    dy: number,
    wt: number,
    dx: number,
    rows: number,
    cols: number,
    dyRow: number,
    dxRow: number,
    dxCol: number,
    c: number,
    k: number,
    dyCol: number,
  ): void;
  conv_filter_grad_tap(
    x: number,
    dy: number,
    dw: number,
    rows: number,
    cols: number,
    xRow: number,
    xCol: number,
    dyRow: number,
    c: number,
    k: number,
  ): void;
  bn_stats(x: number, n: number, c: number, mean: number, variance: number): void;
  bn_forward(
    x: number,
    y: number,
    n: number,
    c: number,
    mean: number,
    rstd: number,
    gamma: number,
    beta: number,
  ): void;
  bn_grad_sums(
    dy: number,
    x: number,
    n: number,
    c: number,
    mean: number,
    rstd: number,
    sumDy: number,
    sumDyXhat: number,
  ): void;
  bn_grad_dx(
    dy: number,
    x: number,
    dx: number,
    n: number,
    c: number,
    mean: number,
    rstd: number,
    a: number,
    sumDy: number,
    sumDyXhat: number,
    count: number,
  ): void;
}

interface WasmBackendLike {
  wasm?: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
}

const instances = new WeakMap<WebAssembly.Memory, TrainKernels>();
let module: WebAssembly.Module | null | undefined;

/**
 * The kernels bound to `backend`'s heap, or null where they cannot run (not the wasm backend, no
 * SIMD in this runtime): the callers then run their JavaScript loops.
 */
export function trainKernels(backend: tf.KernelBackend): TrainKernels | null {
  const memory = (backend as unknown as WasmBackendLike).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let k = instances.get(memory);
  if (k) return k;
  if (module === undefined) {
    const bytes = Deno.readFileSync(TRAIN_WASM_URL);
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  if (module === null) return null;
  k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as TrainKernels;
  instances.set(memory, k);
  return k;
}

/** Byte offset of a wasm-backend tensor in the heap. */
export function offsetOf(backend: tf.KernelBackend, info: tf.TensorInfo): number {
  return (backend as unknown as WasmBackendLike).dataIdMap.get(info.dataId).memoryOffset;
}
