/**
 * Which binary kernels a timed run uses: the native library when it is built, fresh and allowed
 * (--allow-ffi), else the WebAssembly "lut" family with a one-line notice saying why. The choice
 * is recorded with the run (family, CPU features, threads) so results say what ran.
 * `BIBENCH_KERNELS=wasm` keeps the WebAssembly kernels; `BIBENCH_KERNELS=native` makes a missing
 * native library an error instead of a notice.
 */
import { UserError } from "../errors.ts";
import { loadNative, type NativeKernels } from "./native.ts";
import type { BinaryKernels, KernelFamily } from "./wasm.ts";

/** What ran: the record a bundle keeps (`results.kernels`). */
export interface KernelRecord {
  /** `lut` / `popcnt` (WebAssembly) or `native-<isa>`. */
  family: string;
  /** CPU features the native library detected; [] for WebAssembly. */
  cpuFeatures: string[];
  /** Threads per kernel call. */
  threads: number;
}

/** The family to pass as `kernel` to the runtime, and its record. */
export interface KernelChoice {
  kernel: KernelFamily;
  native?: NativeKernels;
  record: KernelRecord;
}

let noticed = false;

/**
 * Attaches the native kernels to `k` when present (with `threads` per call), else picks the
 * WebAssembly lut family; prints the fallback notice once per process.
 */
export async function selectKernels(k: BinaryKernels, threads = 1): Promise<KernelChoice> {
  const want = Deno.env.get("BIBENCH_KERNELS") ?? "auto";
  if (!["auto", "wasm", "native"].includes(want)) {
    throw new UserError(`BIBENCH_KERNELS must be auto, wasm or native, not "${want}"`);
  }
  const wasm: KernelChoice = {
    kernel: "lut",
    record: { family: "lut", cpuFeatures: [], threads: 1 },
  };
  if (want === "wasm") return wasm;
  const nat = k.native ?? await loadNative().then((r) => {
    if ("native" in r) return r.native;
    if (want === "native") throw new UserError(`BIBENCH_KERNELS=native: ${r.reason}`);
    if (!noticed) console.error(`notice: ${r.reason}; using the WebAssembly kernels`);
    noticed = true;
    return undefined;
  });
  if (nat === undefined) return wasm;
  k.attachNative(nat);
  nat.threads = threads;
  return {
    kernel: "native",
    native: nat,
    record: { family: nat.family, cpuFeatures: nat.cpuFeatures, threads },
  };
}
