/**
 * Native bitwise kernels (native/bitwise.c) through Deno FFI: built from source with the system C
 * compiler (`deno task build:kernels`, never a downloaded binary), loaded when present and fresh,
 * and otherwise absent — the WebAssembly kernels stay the portable default and the fallback. The
 * library works on the WebAssembly kernels' linear memory by offset (see `BinaryKernels`
 * `attachNative` and the "native" family), so prepared weights and resident buffers are shared.
 */
import { writeFileAtomic } from "../atomic.ts";

/** Source of the library. */
export const NATIVE_SRC_URL: URL = new URL("./native/bitwise.c", import.meta.url);
/** Where `buildNative` writes by default (git-ignored). */
export const NATIVE_BUILD_DIR: URL = new URL("./native/build/", import.meta.url);

/** Instruction-set paths of the library, by the number bitwise.c takes. */
export const ISA_CODE = {
  scalar: 0,
  popcnt: 1,
  avx2: 2,
  avx512: 3,
  neon: 4,
  lutavx2: 5,
  lutavx512: 6,
  lutneon: 7,
} as const;
/** One instruction-set path of the native kernels. */
export type NativeIsa = keyof typeof ISA_CODE;
/** The order `isas` lists the paths in (widest first). */
const PREFERENCE: NativeIsa[] = [
  "lutavx512",
  "avx512",
  "lutavx2",
  "avx2",
  "lutneon",
  "neon",
  "popcnt",
  "scalar",
];

const FEATURE_BITS: [number, string][] = [
  [1, "popcnt"],
  [2, "avx2"],
  [4, "avx512f"],
  [8, "avx512vpopcntdq"],
  [16, "bmi2"],
  [32, "neon"],
  [64, "fma"],
  [128, "avx512bw"],
];

/** Compiler flags: -ffp-contract=off keeps the float epilogue at two roundings (no FMA). */
export const CFLAGS = ["-O3", "-fPIC", "-ffp-contract=off", "-pthread", "-Wall"];
const ABI_VERSION = 2;

const SYMBOLS = {
  bk_abi_version: { parameters: [], result: "i32" },
  bk_cpu_features: { parameters: [], result: "i32" },
  bk_isa_mask: { parameters: [], result: "i32" },
  bk_pick_isa: { parameters: [], result: "i32" },
  bk_gemm: {
    parameters: [
      "i32",
      "i32",
      "buffer",
      "u32",
      "u32",
      "i32",
      "u32",
      "u32",
      "i32",
      "i32",
      "i32",
      "u32",
      "u32",
      "u32",
      "u32",
    ],
    result: "i32",
  },
  bk_conv: {
    parameters: [
      "i32",
      "i32",
      "buffer",
      "u32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "u32",
      "u32",
      "i32",
      "i32",
      "i32",
      "u32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "u32",
      "u32",
      "u32",
      "u32",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** File name of the shared library on this OS. */
export function libName(): string {
  return Deno.build.os === "darwin"
    ? "libbitwise.dylib"
    : Deno.build.os === "windows"
    ? "bitwise.dll"
    : "libbitwise.so";
}

/** Hash of what a build is made from (source, flags, platform): a library with another is stale. */
async function buildId(): Promise<string> {
  const src = await Deno.readFile(NATIVE_SRC_URL);
  const tag = new TextEncoder().encode(`${CFLAGS.join(" ")}|${Deno.build.target}|`);
  const all = new Uint8Array(tag.length + src.length);
  all.set(tag);
  all.set(src, tag.length);
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Result of {@link buildNative}: the library written, or why none was. */
export type BuildResult = { path: string; compiler: string } | { skipped: string };

/**
 * Compiles bitwise.c into `dir` with `$CC` (else `cc`). No compiler, or an OS without one we
 * drive, is not an error: the result says why it skipped (the WebAssembly kernels remain).
 */
export async function buildNative(dir: URL = NATIVE_BUILD_DIR): Promise<BuildResult> {
  if (Deno.build.os === "windows") return { skipped: "native kernels: not built on Windows" };
  const cc = Deno.env.get("CC") || "cc";
  await Deno.mkdir(dir, { recursive: true });
  const lib = new URL(libName(), dir).pathname;
  const tmp = `${lib}.${Deno.pid}.tmp`;
  const shared = Deno.build.os === "darwin" ? "-dynamiclib" : "-shared";
  let res: Deno.CommandOutput;
  try {
    res = await new Deno.Command(cc, {
      args: [...CFLAGS, shared, "-o", tmp, NATIVE_SRC_URL.pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { skipped: `native kernels: no C compiler (${cc}) found` };
    }
    throw e;
  }
  if (!res.success) {
    await Deno.remove(tmp).catch(() => {});
    const msg = new TextDecoder().decode(res.stderr).trim().split("\n").slice(0, 20).join("\n");
    throw new Error(`native kernels: ${cc} failed:\n${msg}`);
  }
  await Deno.rename(tmp, lib);
  await writeFileAtomic(`${lib}.id`, await buildId());
  return { path: lib, compiler: cc };
}

/** A loaded native library: which ISA paths it runs here, and the raw kernel entry points. */
export class NativeKernels {
  /** ISA paths this build and CPU run, fastest first. */
  readonly isas: NativeIsa[];
  /** CPU features the library detected (cpuid / the architecture). */
  readonly cpuFeatures: string[];
  /** The path calls use (default: the fastest here, timed at load by bk_pick_isa). */
  isa: NativeIsa;
  /** Threads per call (rows split between them); 1 by default. */
  threads = 1;
  /** Use exactly `threads` even for calls too small to repay them (tests of the split). */
  exactThreads = false;
  /** The path timed fastest here at load (bk_pick_isa), the initial `isa`. */
  readonly fastest: NativeIsa;
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;

  constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.#lib = lib;
    const mask = lib.symbols.bk_isa_mask();
    this.isas = PREFERENCE.filter((i) => mask & (1 << ISA_CODE[i]));
    const f = lib.symbols.bk_cpu_features();
    this.cpuFeatures = FEATURE_BITS.filter(([b]) => f & b).map(([, n]) => n);
    // The default: the path that timed fastest here (same results whichever runs).
    const picked = lib.symbols.bk_pick_isa();
    this.fastest = this.isas.find((i) => ISA_CODE[i] === picked) ?? this.isas[0];
    this.isa = this.fastest;
  }

  /** `native-<isa>`, the kernel family name bundles and reports record. */
  get family(): string {
    return `native-${this.isa}`;
  }

  /** Raw GEMM over memory `mem` (offsets and row strides in bytes; see bitwise.c bk_gemm). */
  gemm(
    mem: Uint8Array,
    a: number,
    lda: number,
    m: number,
    b: number,
    ldb: number,
    n: number,
    k: number,
    mode: number,
    out: number,
    ldo: number,
    scale: number,
    bias: number,
  ): void {
    const rc = this.#lib.symbols.bk_gemm(
      ISA_CODE[this.isa],
      this.exactThreads ? -this.threads : this.threads,
      mem,
      a,
      lda,
      m,
      b,
      ldb,
      n,
      k,
      mode,
      out,
      ldo,
      scale,
      bias,
    );
    if (rc !== 0) throw new Error(`native gemm (${this.isa}) failed: ${rc}`);
  }

  /** Raw conv over memory `mem` (see bitwise.c bk_conv for the arguments). */
  conv(mem: Uint8Array, ...args: number[]): void {
    if (args.length !== 24) throw new RangeError("native conv: 24 arguments after mem");
    const s = this.#lib.symbols.bk_conv as unknown as (...a: unknown[]) => number;
    const rc = s(
      ISA_CODE[this.isa],
      this.exactThreads ? -this.threads : this.threads,
      mem,
      ...args,
    );
    if (rc !== 0) throw new Error(`native conv (${this.isa}) failed: ${rc}`);
  }

  /** Unloads the library. */
  close(): void {
    this.#lib.close();
  }
}

/** Result of {@link loadNative}: the kernels, or the one-line reason there are none. */
export type LoadResult = { native: NativeKernels } | { reason: string };

/**
 * Loads the built library from `dir` if it is there, fresh (built from this source and flags)
 * and FFI is allowed; otherwise says why not, in one line, for the fallback notice.
 */
export async function loadNative(dir: URL = NATIVE_BUILD_DIR): Promise<LoadResult> {
  const lib = new URL(libName(), dir).pathname;
  try {
    await Deno.stat(lib);
  } catch {
    return { reason: "native kernels not built (deno task build:kernels needs a C compiler)" };
  }
  const id = await Deno.readTextFile(`${lib}.id`).catch(() => "");
  if (id.trim() !== await buildId()) {
    return { reason: "native kernels stale (source changed): run deno task build:kernels" };
  }
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") {
    return { reason: "native kernels present but --allow-ffi not given" };
  }
  const dl = Deno.dlopen(lib, SYMBOLS);
  if (dl.symbols.bk_abi_version() !== ABI_VERSION) {
    dl.close();
    return { reason: "native kernels built for another ABI: run deno task build:kernels" };
  }
  return { native: new NativeKernels(dl) };
}
