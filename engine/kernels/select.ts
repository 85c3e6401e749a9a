/**
 * Which binary kernels a timed run uses: the native library when it is built, fresh and allowed
 * (--allow-ffi), else the WebAssembly "lut" family with a one-line notice saying why. A run that
 * has both races them on its deployed network (race.ts) and keeps the faster ({@link settleKernels}).
 * The choice is recorded with the run (family, CPU features, threads, why) so results say what ran.
 * `BIBENCH_KERNELS=wasm` keeps the WebAssembly kernels; `BIBENCH_KERNELS=native` forces the native
 * ones (no race) and makes a missing native library an error instead of a notice.
 */
import { UserError } from "../errors.ts";
import { loadNative, type NativeKernels } from "./native.ts";
import type { BinaryKernels, KernelFamily } from "./wasm.ts";
import type { RaceResult } from "./race.ts";

/** What ran: the record a bundle keeps (`results.kernels`). */
export interface KernelRecord {
  /** `lut` / `popcnt` (WebAssembly) or `native-<isa>`. */
  family: string;
  /** CPU features the native library detected; [] when none was loaded. */
  cpuFeatures: string[];
  /** Threads per kernel call. */
  threads: number;
  /**
   * Why this family: `measured` (native and WebAssembly lut raced on the deployed network),
   * `forced` (BIBENCH_KERNELS), `only` (no native library). Absent in older records.
   */
  choice?: "measured" | "forced" | "only";
  /** The native path that was (or would have been) used: `native-<isa>`. */
  nativeFamily?: string;
  /** Median paired T_lut / T_native of the race at load (> 1: native faster). */
  nativeSpeedup?: number;
}

/** The family to pass as `kernel` to the runtime, and its record. */
export interface KernelChoice {
  kernel: KernelFamily;
  native?: NativeKernels;
  record: KernelRecord;
  /** BIBENCH_KERNELS named the family: keep it, do not race. */
  forced: boolean;
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
    record: {
      family: "lut",
      cpuFeatures: [],
      threads: 1,
      choice: want === "wasm" ? "forced" : "only",
    },
    forced: want === "wasm",
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
    record: {
      family: nat.family,
      cpuFeatures: nat.cpuFeatures,
      threads,
      ...(want === "native" ? { choice: "forced" as const, nativeFamily: nat.family } : {}),
    },
    forced: want === "native",
  };
}

/**
 * The family a race picked (`race` from race.ts, native against WebAssembly lut on the run's
 * network): the native choice as it was, or lut; either way recording the measured ratio.
 */
export function settleKernels(choice: KernelChoice, race: RaceResult): KernelChoice {
  const measured = {
    choice: "measured" as const,
    nativeFamily: choice.record.family,
    nativeSpeedup: race.nativeSpeedup,
  };
  if (race.winner === "native") return { ...choice, record: { ...choice.record, ...measured } };
  return {
    kernel: "lut",
    record: { family: "lut", cpuFeatures: choice.record.cpuFeatures, threads: 1, ...measured },
    forced: false,
  };
}
