/**
 * The native kernels for tests: the built library when it is present and fresh, else a build into
 * a temporary directory when a C compiler exists, else none — with a printed notice naming the
 * cases skipped, never a silent pass. The implementations a property runs against: "lut",
 * "popcnt" and one "native-<isa>" per ISA path this CPU runs, plus the fastest with 3 threads.
 */
import {
  buildNative,
  loadNative,
  type NativeIsa,
  NativeKernels,
} from "../../../engine/kernels/native.ts";
import type { BinaryKernels, KernelFamily } from "../../../engine/kernels/wasm.ts";

/** Loads (building if needed) the native library, or returns undefined with a notice. */
export async function nativeForTests(): Promise<NativeKernels | undefined> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") {
    console.warn("native kernel cases SKIPPED: run the tests with --allow-ffi");
    return undefined;
  }
  const r = await loadNative();
  if ("native" in r) return r.native;
  const dir = await Deno.makeTempDir({ prefix: "bitwise-" });
  const b = await buildNative(new URL(`file://${dir}/`));
  if ("skipped" in b) {
    await Deno.remove(dir, { recursive: true });
    console.warn(`native kernel cases SKIPPED: ${b.skipped}`);
    return undefined;
  }
  const r2 = await loadNative(new URL(`file://${dir}/`));
  // A loaded (mapped) library survives the removal of its file.
  await Deno.remove(dir, { recursive: true });
  if ("reason" in r2) {
    throw new Error(`built the native kernels but cannot load them: ${r2.reason}`);
  }
  return r2.native;
}

/** An implementation name: a WebAssembly family or `native-<isa>` (`-t3`: three threads). */
export type Impl = string;

/** Every implementation present, after attaching the native library to `k` (if any). */
export async function implementations(k: BinaryKernels): Promise<Impl[]> {
  const out: Impl[] = ["lut", "popcnt"];
  const nat = await nativeForTests();
  if (nat === undefined) return out;
  k.attachNative(nat);
  for (const isa of nat.isas) out.push(`native-${isa}`);
  out.push(`native-${nat.fastest}-t3`);
  return out;
}

/** The call options selecting `impl` (sets the attached library's ISA and threads). */
export function use(k: BinaryKernels, impl: Impl): { kernel: KernelFamily } {
  if (!impl.startsWith("native-")) return { kernel: impl as KernelFamily };
  const [, isa, t] = impl.split("-");
  const nat = k.native!;
  nat.isa = isa as NativeIsa;
  nat.threads = t ? Number(t.slice(1)) : 1;
  nat.exactThreads = t !== undefined; // split even the tests' small calls
  return { kernel: "native" };
}
