/**
 * TypeScript side of the WebAssembly binary kernels (binary.wat): loads binary.wasm, owns its
 * memory through a bump allocator, lays weights out once ("prepare"), and exposes typed wrappers
 * that copy typed arrays in and results out.
 *
 * Hot loops can avoid the copies: `residentRows` / `residentNHWC` / `resident*` allocate arrays
 * that live in wasm memory (inputs used in place, outputs written in place via `opts.out`).
 * Growing the memory detaches every view on it, so after an allocation that grows it, re-obtain
 * views with `refresh` (the kernels keep working with the old objects: they go by address), or
 * call `reserve` up front so it never grows.
 *
 * Two kernel families compute identical results (see binary.wat): "lut" (nibble tables with
 * i8x16.relaxed_swizzle, the fast default) and "popcnt" (xor + i8x16.popcnt).
 */
import { type ConvGeometry, convGeometry, type ConvOptions } from "./geometry.ts";
import {
  type PackedNHWC,
  type PackedOHWI,
  type PackedRows,
  realignRows,
  wordsFor,
} from "./pack.ts";
import { type PaddingCorrection, paddingCorrection, tapSums } from "./padding.ts";
import { signThresholds } from "./transform.ts";
import type { NativeKernels } from "./native.ts";

/**
 * Which formulation computes the dots: the WebAssembly "lut" or "popcnt", or "native" (the C
 * library of native.ts, once attached with `attachNative`; same results bit for bit).
 */
export type KernelFamily = "lut" | "popcnt" | "native";

/** Options of every wrapped kernel call. */
export interface KernelOptions {
  /** Formulation (default "lut"; "popcnt" when K > 32764, past the lut kernels' u16 sums). */
  kernel?: KernelFamily;
}

/** Options of calls returning int32 dots. */
export interface IntOutOptions extends KernelOptions {
  /** A resident array (from `residentI32`) to write into instead of returning a copy. */
  out?: Int32Array;
}

/** Options of calls returning float32. */
export interface FloatOutOptions extends KernelOptions {
  /** A resident array (from `residentF32`) to write into instead of returning a copy. */
  out?: Float32Array;
  /** conv2dAffine: the plan of these weights, scale and bias (`planConv` mode 1). */
  plan?: ConvPlan;
}

/** Options of calls returning packed signs. */
export interface SignOutOptions extends KernelOptions {
  /** Row alignment in words of a packed GEMM output (1 = tight; 4 = ready for a next GEMM). */
  align?: number;
  /** A resident Uint32Array of the right size to write into. */
  out?: Uint32Array;
  /** conv2dSign: the plan of these weights, scale and bias (`planConv` mode 2). */
  plan?: ConvPlan;
}

/** Dense weights laid out for both kernel families (resident in wasm memory). */
export interface PreparedDense {
  readonly kind: "dense";
  /** Output features (rows of B). */
  readonly n: number;
  /** Input features. */
  readonly k: number;
  readonly pcPtr: number;
  readonly pcStride: number;
  readonly lutPtr: number;
}

/** Conv weights laid out for both kernel families, with their zero-padding tap sums. */
export interface PreparedConv {
  readonly kind: "conv";
  readonly o: number;
  readonly kh: number;
  readonly kw: number;
  readonly c: number;
  readonly cWords: number;
  readonly pcPtr: number;
  readonly pcStride: number;
  readonly lutPtr: number;
  readonly sums: Int32Array;
  /** Address of `sums` in wasm memory (the native kernels' border correction). */
  readonly sumsPtr: number;
  /** Padding corrections per geometry (host copies; uploaded per call, a few KB). */
  readonly corr: Map<string, PaddingCorrection>;
}

interface Exports {
  memory: WebAssembly.Memory;
  pc_gemm(...args: number[]): void;
  pc_im2col(...args: number[]): void;
  lut_image(...args: number[]): void;
  lut_conv(...args: number[]): void;
  epilogue(...args: number[]): void;
  pack_f32(...args: number[]): void;
  pool_f32(...args: number[]): void;
  pool_bits(...args: number[]): void;
  act_f32(...args: number[]): void;
  affine_f32(...args: number[]): void;
  dots_f32(...args: number[]): void;
  mean_abs_f32(...args: number[]): void;
  dense_f32(...args: number[]): void;
  conv_f32_pack16(...args: number[]): void;
}

/**
 * Everything a lut conv with a fused output (packed signs, or float32 scale + bias with the
 * output channels a multiple of 16) needs besides its input and output, for one input geometry,
 * built and made resident once (`planConv`): the border classes per output pixel, the
 * per-class threshold (or correction) rows, the flip bits (or scale and bias), the padded-image
 * scratch. A call with a matching plan skips every per-call table build and upload — at batch 1
 * those cost about as much as the dots.
 */
export interface ConvPlan {
  readonly w: PreparedConv;
  /** The scale and bias vectors it was built from (a call passes these same objects). */
  readonly scaleOf: ArrayLike<number>;
  readonly biasOf: ArrayLike<number>;
  readonly g: ConvGeometry;
  readonly padding: string;
  readonly mode: 1 | 2;
  readonly outWords: number;
  readonly cls: number;
  readonly tab: number;
  readonly tabStride: number;
  readonly scale: number;
  readonly bias: number;
  readonly img: number;
  readonly sc: number;
}

/** Activation codes of the float glue kernels. */
export const ACT_CODE = { none: 0, relu: 1, hardtanh: 2 } as const;

/**
 * Location of the committed module: a function, so that loading this file computes no URL (a
 * browser bundle has no file URL to resolve against; it passes the bytes to `load`).
 */
export function wasmUrl(): URL {
  return new URL("./binary.wasm", import.meta.url);
}

const PAGE = 65536;
/** Output pixels / GEMM rows per band: keeps the raw tile and LUT tables in cache. */
const BAND = 64;
/** u16 lane sums of the lut kernels hold up to 4 * steps, doubled in u16 lanes when stored. */
const MAX_LUT_STEPS = 8191;

type Mode = { mode: 0 } | { mode: 1; scale: ArrayLike<number>; bias: ArrayLike<number> } | {
  mode: 2;
  scale: ArrayLike<number>;
  bias: ArrayLike<number>;
  outWords: number;
};

type Typed = Uint8Array | Int16Array | Uint16Array | Uint32Array | Int32Array | Float32Array;

/** Where and how the epilogue writes (addresses in wasm memory; 0 = unused). */
interface OutSetup {
  mode: 0 | 1 | 2;
  /** 16-channel groups of the lut kernels. */
  groups: number;
  /** Bytes per raw row (channels padded to 32). */
  ldr: number;
  /** Bytes per output row. */
  ldo: number;
  outPtr: number;
  scale: number;
  bias: number;
  thr: number;
  flip: number;
  /** Output rows. */
  rows: number;
  /** Host copies of the sign thresholds (mode 2). */
  thrHost?: Int32Array;
  flipHost?: Int32Array;
  /** The cache entry of these thresholds (mode 2), holding the lut rows built from them. */
  signEntry?: SignEntry;
}

/**
 * Sign thresholds computed from one (scale, bias) pair, kept across calls: a layer calls its
 * kernel with the same vectors every run, and at batch 1 rebuilding the thresholds (a binary
 * search per channel) and the lut kernels' i16 rows cost as much as the dots. An entry is used
 * only while the vectors still hold the values it was built from (compared on every call).
 */
interface SignEntry {
  scale: Float64Array;
  bias: Float64Array;
  maxDot: number;
  cols: number;
  thr: Int32Array;
  flip: Int32Array;
  /** The lut kernels' i16 threshold rows and flip bits, per padding-correction table. */
  lut: Map<PaddingCorrection | null, Map<number, { t: Int16Array; flipBits: Uint16Array }>>;
}

/** Whether a call can go through plan `p` (same weights, vectors, output mode; lut family). */
function usable(
  p: ConvPlan | undefined,
  mode: 1 | 2,
  w: PackedOHWI | PreparedConv,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  kernel: KernelFamily | undefined,
): boolean {
  return p !== undefined && p.mode === mode && p.w === w && p.scaleOf === scale &&
    p.biasOf === bias && (kernel ?? "lut") === "lut";
}

/** Identifies a conv geometry (input size, strides, padding). */
function planKey(g: ConvGeometry): string {
  return `${g.h}x${g.w}/${g.sy},${g.sx}/${g.padTop},${g.padLeft}`;
}

function sameValues(a: Float64Array, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The loaded kernels with their memory and allocator. */
export class BinaryKernels {
  readonly memory: WebAssembly.Memory;
  readonly #ex: Exports;
  #top: number;
  /** Address and length of every resident array (views stay keys even once detached). */
  readonly #resident = new WeakMap<Typed, { ptr: number; length: number }>();
  /** Sign thresholds per scale vector (see `SignEntry`). */
  readonly #signs = new WeakMap<object, SignEntry[]>();
  #native: NativeKernels | undefined;

  private constructor(instance: WebAssembly.Instance) {
    this.#ex = instance.exports as unknown as Exports;
    this.memory = this.#ex.memory;
    this.#top = 1024; // keep address 0 unused
  }

  /** Instantiates binary.wasm (or the given bytes). Needs read permission for the default. */
  static async load(bytes?: Uint8Array): Promise<BinaryKernels> {
    const b = bytes ?? await Deno.readFile(wasmUrl());
    const { instance } = await WebAssembly.instantiate(b as BufferSource);
    return new BinaryKernels(instance);
  }

  /**
   * Makes the native library the "native" family of these kernels: it runs on this memory by
   * offset, on the same prepared weights and resident buffers.
   */
  attachNative(native: NativeKernels): void {
    this.#native = native;
  }

  /** The attached native library, if any. */
  get native(): NativeKernels | undefined {
    return this.#native;
  }

  #needNative(): NativeKernels {
    if (this.#native === undefined) throw new Error('kernel "native": no native library attached');
    return this.#native;
  }

  /** Scale and bias of a float / sign output as temporaries (0, 0 for int32 dots). */
  #affineRows(mode: Mode, n: number): [number, number] {
    if (mode.mode === 0) return [0, 0];
    if (mode.scale.length !== n || mode.bias.length !== n) {
      throw new RangeError(`scale and bias need ${n} values`);
    }
    return [
      this.#upload(Float32Array.from(mode.scale)),
      this.#upload(Float32Array.from(mode.bias)),
    ];
  }

  /** Copies a result out of wasm memory unless it went to a resident `out`. */
  #copyOut(mode: 0 | 1 | 2, ptr: number, words: number, out: Typed | undefined): Typed {
    if (out !== undefined) return out;
    const buf = this.memory.buffer;
    if (mode === 0) return new Int32Array(buf, ptr, words).slice();
    if (mode === 1) return new Float32Array(buf, ptr, words).slice();
    return new Uint32Array(buf, ptr, words).slice();
  }

  // ---------------------------------------------------------------------------------- memory

  /** Allocates `bytes` (16-byte aligned) at the top of the bump allocator, growing memory. */
  alloc(bytes: number): number {
    const ptr = (this.#top + 15) & ~15;
    this.#top = ptr + Math.max(0, Math.ceil(bytes));
    this.#ensure(this.#top);
    return ptr;
  }

  /** Current allocator top, to `release` back to later. */
  mark(): number {
    return this.#top;
  }

  /** Frees everything allocated after `mark` (bump allocator: last in, first out). */
  release(mark: number): void {
    if (mark > this.#top) throw new RangeError("release above the allocator top");
    this.#top = mark;
  }

  /** Grows the memory so that `bytes` more can be allocated without growing later. */
  reserve(bytes: number): void {
    this.#ensure(this.#top + bytes + 16);
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /** A resident Uint32Array of `length` words (zeroed), used in place by the kernels. */
  residentU32(length: number): Uint32Array {
    return this.#residentView(Uint32Array, length);
  }

  /** A resident Int32Array (an `out` for int32 results). */
  residentI32(length: number): Int32Array {
    return this.#residentView(Int32Array, length);
  }

  /** A resident Float32Array (an `out` for float results). */
  residentF32(length: number): Float32Array {
    return this.#residentView(Float32Array, length);
  }

  #residentView<T extends Typed>(
    ctor: { new (b: ArrayBuffer, o: number, l: number): T },
    length: number,
  ): T {
    const ptr = this.alloc(length * 4);
    new Uint8Array(this.memory.buffer, ptr, length * 4).fill(0);
    const v = new ctor(this.memory.buffer as ArrayBuffer, ptr, length);
    this.#resident.set(v, { ptr, length });
    return v;
  }

  /** Resident packed rows (zeroed): fill `data` in place, then pass to the kernels copy-free. */
  residentRows(rows: number, k: number, align = 4): PackedRows {
    const strideWords = wordsFor(k, align);
    return { rows, k, strideWords, data: this.residentU32(rows * strideWords) };
  }

  /** Resident packed NHWC activations (zeroed), e.g. to receive a `conv2dSign` output. */
  residentNHWC(n: number, h: number, w: number, c: number): PackedNHWC {
    const cWords = wordsFor(c);
    return { n, h, w, c, cWords, data: this.residentU32(n * h * w * cWords) };
  }

  /** A fresh view of a resident array (needed after the memory grew). */
  refresh<T extends Typed>(arr: T): T {
    // A view on the current buffer is still valid (growth replaces the buffer object).
    if (arr.buffer === this.memory.buffer && this.#resident.has(arr)) return arr;
    const r = this.#resident.get(arr);
    if (r === undefined) throw new Error("refresh: not a resident array");
    const ctor = arr.constructor as { new (b: ArrayBuffer, o: number, l: number): T };
    const v = new ctor(this.memory.buffer as ArrayBuffer, r.ptr, r.length);
    this.#resident.set(v, r);
    return v;
  }

  /** Address of a resident array in wasm memory, or undefined. */
  addressOf(arr: Typed): number | undefined {
    return this.#resident.get(arr)?.ptr;
  }

  /** Element count of an array, also for a resident one whose view was detached by growth. */
  #length(arr: Typed): number {
    return this.#resident.get(arr)?.length ?? arr.length;
  }

  /** Copies `arr` into (temporary) wasm memory unless it is resident; returns its address. */
  #input(arr: Typed): number {
    const r = this.#resident.get(arr);
    if (r !== undefined) return r.ptr;
    const ptr = this.alloc(arr.byteLength);
    new Uint8Array(this.memory.buffer, ptr, arr.byteLength).set(
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
    );
    return ptr;
  }

  #upload(arr: Typed): number {
    const ptr = this.alloc(arr.byteLength);
    new Uint8Array(this.memory.buffer, ptr, arr.byteLength).set(
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
    );
    return ptr;
  }

  /** Where a result of `bytes` goes: the resident `out` (checked) or a temporary. */
  #output(out: Typed | undefined, bytes: number): number {
    if (out === undefined) return this.alloc(bytes);
    const r = this.#resident.get(out);
    if (r === undefined) throw new Error("opts.out must be a resident array (resident*())");
    if (r.length * 4 < bytes) {
      throw new RangeError(`opts.out too small: need ${bytes / 4} elements`);
    }
    return r.ptr;
  }

  // ---------------------------------------------------------------------------------- prepare

  /** Lays dense weights (B, `n x k`, one row per output feature) out for both families. */
  prepareDense(w: PackedRows): PreparedDense {
    const a4 = realignRows(w, 4);
    const pcPtr = this.#upload(a4.data);
    const lutPtr = this.#upload(
      lutWeights(w.data, w.rows, w.strideWords, 1, Math.ceil(w.k / 4), 0),
    );
    return { kind: "dense", n: w.rows, k: w.k, pcPtr, pcStride: a4.strideWords * 4, lutPtr };
  }

  /** Lays conv weights out for both families (OHWI rows must be 4-word aligned). */
  prepareConv(w: PackedOHWI): PreparedConv {
    if (w.strideWords % 4 !== 0) throw new RangeError("prepareConv: pack OHWI with align 4");
    const pcPtr = this.#upload(w.data);
    const cq = Math.ceil(w.c / 4);
    const lutPtr = this.#upload(lutWeights(w.data, w.o, w.strideWords, w.kh * w.kw, cq, w.cWords));
    const sums = tapSums(w);
    return {
      kind: "conv",
      o: w.o,
      kh: w.kh,
      kw: w.kw,
      c: w.c,
      cWords: w.cWords,
      pcPtr,
      pcStride: w.strideWords * 4,
      lutPtr,
      sums,
      sumsPtr: this.#upload(sums),
      corr: new Map(),
    };
  }

  // ---------------------------------------------------------------------------------- glue

  /** Address of a float input: resident in place, else copied (with 16 bytes of slack). */
  #floatInput(src: Float32Array): number {
    const r = this.#resident.get(src);
    if (r !== undefined) return r.ptr;
    const ptr = this.alloc(src.byteLength + 16);
    new Float32Array(this.memory.buffer, ptr, src.length).set(src);
    new Float32Array(this.memory.buffer, ptr + src.byteLength, 4).fill(0);
    return ptr;
  }

  /**
   * Packs `rows` rows of `c` floats (row-major) into sign words of a resident `out`, `stride`
   * words per row: bit = fround(fround(x * ps[ch]) + pb[ch]) < 0 (bit set = -1), the pack rule of
   * deployed networks. Words past ceil(c / 32) are zeroed.
   */
  packF32(
    src: Float32Array,
    rows: number,
    c: number,
    ps: ArrayLike<number>,
    pb: ArrayLike<number>,
    out: Uint32Array,
    stride: number,
  ): void {
    if (this.#length(src) < rows * c) throw new RangeError(`packF32: need ${rows * c} values`);
    if (stride < Math.ceil(c / 32)) throw new RangeError("packF32: stride too small");
    const m0 = this.mark();
    try {
      const dst = this.#output(out, rows * stride * 4);
      const c4 = Math.ceil(c / 4) * 4;
      const s = new Float32Array(c4), b = new Float32Array(c4).fill(1);
      for (let i = 0; i < c; i++) {
        s[i] = ps[i];
        b[i] = pb[i];
      }
      const sp = this.#upload(s), bp = this.#upload(b);
      this.#ex.pack_f32(this.#floatInput(src), rows, c, sp, bp, dst, stride);
    } finally {
      this.release(m0);
    }
  }

  /**
   * 2x2 stride-2 `valid` max pool of NHWC floats `[n, h, w, c]` (c a multiple of 4) into a
   * resident `out` `[n, h/2, w/2, c]`, then `act`; channels with `minCh[ch]` set take the minimum.
   */
  poolF32(
    src: Float32Array,
    n: number,
    h: number,
    w: number,
    c: number,
    minCh: ArrayLike<number> | null,
    act: keyof typeof ACT_CODE,
    out: Float32Array,
  ): void {
    if (c % 4 !== 0) throw new RangeError("poolF32: channels must be a multiple of 4");
    if (this.#length(src) < n * h * w * c) throw new RangeError("poolF32: input too short");
    const m0 = this.mark();
    try {
      const dst = this.#output(out, n * (h >> 1) * (w >> 1) * c * 4);
      const mask = new Int32Array(c);
      if (minCh) { for (let i = 0; i < c; i++) mask[i] = minCh[i] ? -1 : 0; }
      const mp = this.#upload(mask);
      this.#ex.pool_f32(this.#floatInput(src), n, h, w, c, mp, ACT_CODE[act], dst);
    } finally {
      this.release(m0);
    }
  }

  /**
   * 2x2 stride-2 `valid` pool of packed signs (bit set = -1) `[n, h, w, cw words]` into a resident
   * `out` `[n, h/2, w/2, cw]`: max (AND of the bits), or min (OR) for the channels set in
   * `minWords` (cw words).
   */
  poolBits(
    src: Uint32Array,
    n: number,
    h: number,
    w: number,
    cw: number,
    minWords: Uint32Array,
    out: Uint32Array,
  ): void {
    if (this.#length(src) < n * h * w * cw) throw new RangeError("poolBits: input too short");
    if (minWords.length < cw) throw new RangeError("poolBits: minWords too short");
    if (cw < 1 || h < 2 || w < 2) {
      if (cw >= 1) return; // empty output
      throw new RangeError("poolBits: cw must be >= 1");
    }
    const m0 = this.mark();
    try {
      const dst = this.#output(out, n * (h >> 1) * (w >> 1) * cw * 4);
      this.#ex.pool_bits(this.#input(src), n, h, w, cw, this.#input(minWords), dst);
    } finally {
      this.release(m0);
    }
  }

  /** `act` in place over a resident float array (its length a multiple of 4). */
  actF32(arr: Float32Array, act: keyof typeof ACT_CODE): void {
    const r = this.#resident.get(arr);
    if (r === undefined) throw new Error("actF32: not a resident array");
    if (r.length % 4 !== 0) throw new RangeError("actF32: length must be a multiple of 4");
    if (act !== "none") this.#ex.act_f32(r.ptr, r.length, ACT_CODE[act]);
  }

  /**
   * `y = act(fround(fround(x * scale[ch]) + bias[ch]))` over `rows x c` floats (c a multiple of
   * 4), into a resident `out` (may be `src` itself when resident).
   */
  affineF32(
    src: Float32Array,
    rows: number,
    c: number,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    act: keyof typeof ACT_CODE,
    out: Float32Array,
  ): void {
    if (c % 4 !== 0) throw new RangeError("affineF32: channels must be a multiple of 4");
    const m0 = this.mark();
    try {
      const dst = this.#output(out, rows * c * 4);
      const sp = this.#upload(Float32Array.from(scale)), bp = this.#upload(Float32Array.from(bias));
      this.#ex.affine_f32(this.#floatInput(src), rows, c, sp, bp, ACT_CODE[act], dst);
    } finally {
      this.release(m0);
    }
  }

  /**
   * `y = fround(fround(dot * scale[floor(r / div) % period][ch]) + bias[ch])` over `rows x c`
   * int32 dots (c a multiple of 4; `scale` holds `period x c` values) into a resident `out`.
   */
  dotsF32(
    dots: Int32Array,
    rows: number,
    c: number,
    scale: Float32Array,
    div: number,
    period: number,
    bias: ArrayLike<number>,
    out: Float32Array,
  ): void {
    if (c % 4 !== 0) throw new RangeError("dotsF32: channels must be a multiple of 4");
    if (this.#length(scale) < period * c) throw new RangeError("dotsF32: scale too short");
    if (!(div >= 1 && period >= 1)) throw new RangeError("dotsF32: div and period must be >= 1");
    const m0 = this.mark();
    try {
      const dst = this.#output(out, rows * c * 4);
      const sp = this.#resident.get(scale)?.ptr ?? this.#upload(scale);
      const bp = this.#upload(Float32Array.from(bias));
      this.#ex.dots_f32(this.#input(dots), rows, c, sp, div, period, bp, dst);
    } finally {
      this.release(m0);
    }
  }

  /**
   * Full-precision stride-1 `same` conv (k x k, HWIO float weights, cout a multiple of 16) of
   * NHWC floats `[n, h, w, cin]` fused with the sign pack `bit = conv * ps[co] + pb[co] < 0`
   * (conv summed from `bias[co]` over taps ky, kx, ci), into a resident zeroed `out`
   * `[n, h, w, ceil(cout / 32)]`. Weights, bias, ps, pb may be resident (prepared once).
   */
  convF32Pack(
    src: Float32Array,
    n: number,
    h: number,
    w: number,
    cin: number,
    k: number,
    weights: Float32Array,
    cout: number,
    bias: Float32Array,
    ps: Float32Array,
    pb: Float32Array,
    out: Uint32Array,
  ): void {
    if (cout % 16 !== 0) throw new RangeError("convF32Pack: cout must be a multiple of 16");
    if (this.#length(src) < n * h * w * cin) throw new RangeError("convF32Pack: input too short");
    if (this.#length(weights) < k * k * cin * cout) throw new RangeError("convF32Pack: weights");
    const cw = Math.ceil(cout / 32);
    const m0 = this.mark();
    try {
      const dst = this.#output(out, n * h * w * cw * 4);
      const ptr = (a: Float32Array) => this.#resident.get(a)?.ptr ?? this.#upload(a);
      this.#ex.conv_f32_pack16(
        this.#floatInput(src),
        n,
        h,
        w,
        cin,
        k,
        Math.floor((k - 1) / 2),
        ptr(weights),
        cout,
        ptr(bias),
        ptr(ps),
        ptr(pb),
        dst,
        cw,
      );
    } finally {
      this.release(m0);
    }
  }

  /**
   * Full-precision dense layer `y = act(bias[j] + sum_i x[i] * w[i][j])` (a float32 sum from the
   * bias in order of i, as XNNPACK's GEMM under tfjs-wasm's fused matMul) of `rows` rows of `k` floats, into a resident `out` of `rows x cp` floats.
   * `w`: resident `[k][cp]` floats with the output columns padded to `cp` (a multiple of 4) with
   * zeros, `bias` resident `cp` floats.
   */
  denseF32(
    src: Float32Array,
    rows: number,
    k: number,
    w: Float32Array,
    cp: number,
    bias: Float32Array,
    act: keyof typeof ACT_CODE,
    out: Float32Array,
  ): void {
    if (cp % 4 !== 0) throw new RangeError("denseF32: padded columns must be a multiple of 4");
    if (this.#length(src) < rows * k) throw new RangeError("denseF32: input too short");
    if (this.#length(w) < k * cp || this.#length(bias) < cp) throw new RangeError("denseF32: w");
    const m0 = this.mark();
    try {
      const dst = this.#output(out, rows * cp * 4);
      const ptr = (a: Float32Array) => this.#resident.get(a)?.ptr ?? this.#upload(a);
      this.#ex.dense_f32(this.#floatInput(src), rows, k, ptr(w), cp, ptr(bias), ACT_CODE[act], dst);
    } finally {
      this.release(m0);
    }
  }

  /** Per sample of `len` floats, the mean of |x| (sequential float32 sum, as tfjs-wasm's Mean). */
  meanAbsF32(src: Float32Array, n: number, len: number): Float32Array {
    if (this.#length(src) < n * len) throw new RangeError("meanAbsF32: input too short");
    const m0 = this.mark();
    try {
      const dst = this.alloc(n * 4);
      this.#ex.mean_abs_f32(this.#floatInput(src), n, len, dst);
      return new Float32Array(this.memory.buffer, dst, n).slice();
    } finally {
      this.release(m0);
    }
  }

  // ---------------------------------------------------------------------------------- GEMM

  /** Binary GEMM: `C[M, N] = A[M, K] . B[N, K]^T` over +/-1 (int32, row-major). */
  gemm(a: PackedRows, b: PackedRows | PreparedDense, opts: IntOutOptions = {}): Int32Array {
    return this.#gemm(a, b, { mode: 0 }, opts) as Int32Array;
  }

  /** Binary dense layer: `gemm` with the batch as M and output features as N. */
  dense(x: PackedRows, w: PackedRows | PreparedDense, opts: IntOutOptions = {}): Int32Array {
    return this.gemm(x, w, opts);
  }

  /** GEMM fused with `y = dot * scale[j] + bias[j]` (float32). */
  gemmAffine(
    a: PackedRows,
    b: PackedRows | PreparedDense,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    opts: FloatOutOptions = {},
  ): Float32Array {
    return this.#gemm(a, b, { mode: 1, scale, bias }, opts) as Float32Array;
  }

  /** GEMM fused with packing the signs of `dot * scale[j] + bias[j]` (bit set = negative). */
  gemmSign(
    a: PackedRows,
    b: PackedRows | PreparedDense,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    opts: SignOutOptions = {},
  ): PackedRows {
    const n = "kind" in b ? b.n : b.rows;
    const outWords = wordsFor(n, opts.align ?? 1);
    const data = this.#gemm(a, b, { mode: 2, scale, bias, outWords }, opts) as Uint32Array;
    return { rows: a.rows, k: n, strideWords: outWords, data };
  }

  #gemm(
    a: PackedRows,
    bIn: PackedRows | PreparedDense,
    mode: Mode,
    opts: KernelOptions & { out?: Typed },
  ): Typed {
    const m0 = this.mark();
    const isPrepared = "kind" in bIn;
    const b = isPrepared ? bIn : this.prepareDense(bIn);
    try {
      if (a.k !== b.k) throw new RangeError(`gemm: K differs (${a.k} vs ${b.k})`);
      const M = a.rows, N = b.n, K = a.k;
      if (!(K >= 1 && M >= 1 && N >= 1)) throw new RangeError(`gemm: empty shape ${M}x${N}x${K}`);
      if (this.#length(a.data) < M * a.strideWords || a.strideWords * 32 < K) {
        throw new RangeError("gemm: A data does not match rows x strideWords");
      }
      if (opts.kernel === "native") {
        const nat = this.#needNative();
        const ldo = mode.mode === 2 ? mode.outWords * 4 : N * 4;
        const outPtr = this.#output(opts.out, M * ldo);
        const [sp, bp] = this.#affineRows(mode, N);
        const aPtr = this.#input(a.data);
        const mem = new Uint8Array(this.memory.buffer);
        nat.gemm(
          mem,
          aPtr,
          a.strideWords * 4,
          M,
          b.pcPtr,
          b.pcStride,
          N,
          K,
          mode.mode,
          outPtr,
          ldo,
          sp,
          bp,
        );
        return this.#copyOut(mode.mode, outPtr, (M * ldo) / 4, opts.out);
      }
      const ex = this.#ex;
      const io = this.#setupOut(mode, M, N, K, opts.out);
      const sc = this.alloc(512);
      const zero = this.alloc(io.ldr + 16); // correction row of zeros, class index 0
      new Uint8Array(this.memory.buffer, zero, io.ldr + 16).fill(0);
      const S = Math.ceil(K / 4);
      if ((opts.kernel ?? (S <= MAX_LUT_STEPS ? "lut" : "popcnt")) === "lut") {
        if (S > MAX_LUT_STEPS) throw new RangeError(`lut kernel: K = ${K} too large`);
        const aPtr = this.#input(a.data);
        const tables = this.alloc(BAND * S * 16);
        const lo = this.#lutOut(io, N, K - 8 * S, zero, null);
        const raw = lo.fused ? 0 : this.alloc(BAND * io.ldr);
        for (let r0 = 0; r0 < M; r0 += BAND) {
          const cnt = Math.min(BAND, M - r0);
          ex.lut_image(
            aPtr + r0 * a.strideWords * 4,
            1,
            cnt,
            a.strideWords,
            S,
            0,
            0,
            1,
            cnt,
            tables,
          );
          ex.lut_conv(
            tables,
            cnt,
            S * 16,
            1,
            S,
            1,
            1,
            cnt,
            0,
            cnt,
            b.lutPtr,
            io.groups,
            K - 8 * S,
            lo.fused ? io.outPtr + r0 * io.ldo : raw,
            lo.fused ? io.ldo : io.ldr,
            sc,
            lo.mode,
            zero,
            0,
            lo.fused ? lo.tab : zero,
            lo.tabStride,
            lo.scale,
            lo.bias,
          );
          if (!lo.fused) this.#epi(io, raw, cnt, N, zero, zero, 0, r0);
        }
      } else {
        const a4 = a.strideWords % 4 === 0 ? a : realignRows(a, 4);
        const aPtr = this.#input(a4.data);
        const lda = a4.strideWords * 4;
        const raw = this.alloc((BAND + 3) * io.ldr);
        for (let r0 = 0; r0 < M; r0 += BAND) {
          const cnt = Math.min(BAND, M - r0);
          ex.pc_gemm(
            aPtr + r0 * lda,
            lda,
            cnt,
            b.pcPtr,
            b.pcStride,
            N,
            b.pcStride / 16,
            K,
            raw,
            io.ldr,
            sc,
          );
          this.#epi(io, raw, cnt, N, zero, zero, 0, r0);
        }
      }
      return this.#result(io, M, opts.out);
    } finally {
      this.release(m0);
    }
  }

  // ---------------------------------------------------------------------------------- conv

  /**
   * Binary conv2d with zero padding: packed NHWC input, packed OHWI (or prepared) weights; returns
   * the integer dots, NHWC `[n, oh, ow, o]`, equal to a float conv of the +/-1 tensors.
   */
  conv2d(
    x: PackedNHWC,
    w: PackedOHWI | PreparedConv,
    conv: ConvOptions = {},
    opts: IntOutOptions = {},
  ): Int32Array {
    return this.#conv(x, w, conv, { mode: 0 }, opts) as Int32Array;
  }

  /** conv2d fused with `y = dot * scale[o] + bias[o]` (float32 NHWC). */
  conv2dAffine(
    x: PackedNHWC,
    w: PackedOHWI | PreparedConv,
    conv: ConvOptions,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    opts: FloatOutOptions = {},
  ): Float32Array {
    const p = opts.plan;
    if (usable(p, 1, w, scale, bias, opts.kernel)) {
      return this.#planned(x, p!, conv, opts.out) as Float32Array;
    }
    return this.#conv(x, w, conv, { mode: 1, scale, bias }, opts) as Float32Array;
  }

  /** conv2d fused with packing the signs of `dot * scale + bias`: the next binary layer's input. */
  conv2dSign(
    x: PackedNHWC,
    w: PackedOHWI | PreparedConv,
    conv: ConvOptions,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    opts: SignOutOptions = {},
  ): PackedNHWC {
    const o = w.o;
    const outWords = wordsFor(o);
    const g = convGeometry(x.h, x.w, w.kh, w.kw, conv);
    const p = opts.plan;
    const data = usable(p, 2, w, scale, bias, opts.kernel)
      ? this.#planned(x, p!, conv, opts.out) as Uint32Array
      : this.#conv(x, w, conv, { mode: 2, scale, bias, outWords }, opts) as Uint32Array;
    return { n: x.n, h: g.oh, w: g.ow, c: o, cWords: outWords, data };
  }

  /**
   * Builds the resident `ConvPlan` of `w` on `h x wd` inputs with the fused sign output
   * (`mode` 2, like `conv2dSign`) or the fused float output (`mode` 1, like `conv2dAffine`) of
   * (scale, bias); undefined where the lut kernels do not fuse that output. Allocates kernel
   * memory for good: call it at load time, outside any `mark` / `release`.
   */
  planConv(
    h: number,
    wd: number,
    w: PreparedConv,
    conv: ConvOptions,
    mode: 1 | 2,
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
  ): ConvPlan | undefined {
    const g = convGeometry(h, wd, w.kh, w.kw, conv);
    const K = w.kh * w.kw * w.c;
    const cq = Math.ceil(w.c / 4);
    const S = w.kh * w.kw * cq;
    if (S > MAX_LUT_STEPS || (mode === 1 && w.o % 16 !== 0)) return undefined;
    if (scale.length !== w.o || bias.length !== w.o) {
      throw new RangeError(`scale and bias need ${w.o} values`);
    }
    const colsPad = Math.ceil(w.o / 32) * 32;
    const host = this.#correctionHost(w, g, colsPad);
    const hp = h + g.padTop + g.padBottom, wp = wd + g.padLeft + g.padRight;
    const common = {
      w,
      scaleOf: scale,
      biasOf: bias,
      g,
      padding: conv.padding ?? "valid",
      outWords: wordsFor(w.o),
      cls: this.#upload(host.cls),
      img: this.alloc(hp * wp * cq * 16),
      sc: this.alloc(512),
    };
    if (mode === 2) {
      const e = this.#signEntry(scale, bias, K, colsPad);
      const { t, flipBits } = lutThresholds(e.thr, e.flip, colsPad, K - 8 * S, host);
      return {
        ...common,
        mode,
        tab: this.#upload(t),
        tabStride: colsPad * 2,
        scale: this.#upload(flipBits),
        bias: 0,
      };
    }
    return {
      ...common,
      mode,
      tab: this.#upload(host.table),
      tabStride: colsPad * 4,
      scale: this.#upload(Float32Array.from(scale)),
      bias: this.#upload(Float32Array.from(bias)),
    };
  }

  /** A conv call through its plan (see `ConvPlan`): the lut kernels, nothing built per call. */
  #planned(x: PackedNHWC, p: ConvPlan, conv: ConvOptions, out: Typed | undefined): Typed {
    const w = p.w;
    const g = p.g;
    const st = conv.stride ?? 1;
    const [sy, sx] = typeof st === "number" ? [st, st] : st;
    if (
      x.c !== w.c || x.h !== g.h || x.w !== g.w || sy !== g.sy || sx !== g.sx ||
      (conv.padding ?? "valid") !== p.padding
    ) throw new RangeError("conv plan: other geometry");
    if (this.#length(x.data) < x.n * x.h * x.w * x.cWords) {
      throw new RangeError("conv2d: input data does not match n x h x w x cWords");
    }
    const m0 = this.mark();
    try {
      const npix = g.oh * g.ow, rows = x.n * npix;
      const ldo = p.mode === 2 ? p.outWords * 4 : w.o * 4;
      const groups = Math.ceil(w.o / 16);
      const outPtr = this.#output(out, rows * ldo);
      if (p.mode === 2 && groups * 2 < ldo) {
        new Uint8Array(this.memory.buffer, outPtr, rows * ldo).fill(0);
      }
      this.#lutPasses(x, this.#input(x.data), w, g, p.img, {
        groups,
        sc: p.sc,
        mode: p.mode,
        cls: p.cls,
        clsStep: 4,
        tab: p.tab,
        tabStride: p.tabStride,
        scale: p.scale,
        bias: p.bias,
        ld: ldo,
        dst: (b, p0) => outPtr + (b * npix + p0) * ldo,
      });
      if (out !== undefined) return out;
      const buf = this.memory.buffer;
      return p.mode === 1
        ? new Float32Array(buf, outPtr, rows * w.o).slice()
        : new Uint32Array(buf, outPtr, rows * p.outWords).slice();
    } finally {
      this.release(m0);
    }
  }

  /**
   * The lut passes of one conv call: per image `lut_image` into `img`, then `lut_conv` per band of
   * output pixels (the class pointer steps by `clsStep` bytes per pixel; `after` runs per band).
   */
  #lutPasses(
    x: PackedNHWC,
    xPtr: number,
    w: PreparedConv,
    g: ConvGeometry,
    img: number,
    a: {
      groups: number;
      sc: number;
      mode: number;
      cls: number;
      clsStep: number;
      tab: number;
      tabStride: number;
      scale: number;
      bias: number;
      ld: number;
      dst: (b: number, p0: number) => number;
    },
    after?: (b: number, p0: number, cnt: number) => void,
  ): void {
    const ex = this.#ex;
    const npix = g.oh * g.ow;
    const cq = Math.ceil(w.c / 4);
    const S = w.kh * w.kw * cq, K = w.kh * w.kw * w.c;
    const imgBytes = x.h * x.w * x.cWords * 4;
    const hp = x.h + g.padTop + g.padBottom, wp = x.w + g.padLeft + g.padRight;
    for (let b = 0; b < x.n; b++) {
      ex.lut_image(xPtr + b * imgBytes, x.h, x.w, x.cWords, cq, g.padTop, g.padLeft, hp, wp, img);
      for (let p0 = 0; p0 < npix; p0 += BAND) {
        const cnt = Math.min(BAND, npix - p0);
        ex.lut_conv(
          img,
          wp,
          cq * 16,
          w.kh,
          w.kw * cq,
          g.sy,
          g.sx,
          g.ow,
          p0,
          cnt,
          w.lutPtr,
          a.groups,
          K - 8 * S,
          a.dst(b, p0),
          a.ld,
          a.sc,
          a.mode,
          a.cls + p0 * a.clsStep,
          a.clsStep,
          a.tab,
          a.tabStride,
          a.scale,
          a.bias,
        );
        after?.(b, p0, cnt);
      }
    }
  }

  #conv(
    x: PackedNHWC,
    wIn: PackedOHWI | PreparedConv,
    conv: ConvOptions,
    mode: Mode,
    opts: KernelOptions & { out?: Typed },
  ): Typed {
    const m0 = this.mark();
    const w = "kind" in wIn ? wIn : this.prepareConv(wIn);
    try {
      if (x.c !== w.c) throw new RangeError(`conv2d: input has ${x.c} channels, weights ${w.c}`);
      if (!(x.n >= 1 && x.c >= 1 && w.o >= 1)) throw new RangeError("conv2d: empty shape");
      if (this.#length(x.data) < x.n * x.h * x.w * x.cWords) {
        throw new RangeError("conv2d: input data does not match n x h x w x cWords");
      }
      const g = convGeometry(x.h, x.w, w.kh, w.kw, conv);
      const npix = g.oh * g.ow;
      const K = w.kh * w.kw * w.c;
      if (opts.kernel === "native") return this.#nativeConv(x, w, g, mode, opts.out);
      const ex = this.#ex;
      const io = this.#setupOut(mode, x.n * npix, w.o, K, opts.out);
      const corr = this.#correction(w, g, io.ldr / 4);
      const sc = this.alloc(512);
      const xPtr = this.#input(x.data);
      const imgBytes = x.h * x.w * x.cWords * 4;
      const cq = Math.ceil(w.c / 4);
      const S = w.kh * w.kw * cq;
      if ((opts.kernel ?? (S <= MAX_LUT_STEPS ? "lut" : "popcnt")) === "lut") {
        if (S > MAX_LUT_STEPS) throw new RangeError(`lut kernel: ${S} steps too many`);
        const hp = x.h + g.padTop + g.padBottom, wp = x.w + g.padLeft + g.padRight;
        const img = this.alloc(hp * wp * cq * 16);
        const lo = this.#lutOut(io, w.o, K - 8 * S, corr.table, corr.host);
        const raw = lo.fused ? 0 : this.alloc(BAND * io.ldr);
        const zero = lo.fused ? 0 : this.alloc(io.ldr + 16); // raw dots: no correction yet
        if (!lo.fused) new Uint8Array(this.memory.buffer, zero, io.ldr + 16).fill(0);
        this.#lutPasses(x, xPtr, w, g, img, {
          groups: io.groups,
          sc,
          mode: lo.mode,
          cls: lo.fused ? corr.cls : zero,
          clsStep: lo.fused ? 4 : 0,
          tab: lo.fused ? lo.tab : zero,
          tabStride: lo.fused ? lo.tabStride : 0,
          scale: lo.scale,
          bias: lo.bias,
          ld: lo.fused ? io.ldo : io.ldr,
          dst: (b, p0) => lo.fused ? io.outPtr + (b * npix + p0) * io.ldo : raw,
        }, (b, p0, cnt) => {
          if (!lo.fused) {
            this.#epi(io, raw, cnt, w.o, corr.table, corr.cls + p0 * 4, 4, b * npix + p0);
          }
        });
      } else {
        const ldd = w.pcStride;
        const col = this.alloc(BAND * ldd);
        const raw = this.alloc((BAND + 3) * io.ldr);
        for (let b = 0; b < x.n; b++) {
          for (let p0 = 0; p0 < npix; p0 += BAND) {
            const cnt = Math.min(BAND, npix - p0);
            ex.pc_im2col(
              xPtr + b * imgBytes,
              x.h,
              x.w,
              x.cWords,
              w.kh,
              w.kw,
              g.sy,
              g.sx,
              g.padTop,
              g.padLeft,
              g.ow,
              p0,
              cnt,
              col,
              ldd,
            );
            ex.pc_gemm(col, ldd, cnt, w.pcPtr, w.pcStride, w.o, ldd / 16, K, raw, io.ldr, sc);
            this.#epi(io, raw, cnt, w.o, corr.table, corr.cls + p0 * 4, 4, b * npix + p0);
          }
        }
      }
      return this.#result(io, x.n * npix, opts.out);
    } finally {
      this.release(m0);
    }
  }

  /** conv through the native library (im2col + tiles + border correction + epilogue, in C). */
  #nativeConv(
    x: PackedNHWC,
    w: PreparedConv,
    g: ConvGeometry,
    mode: Mode,
    out: Typed | undefined,
  ): Typed {
    const nat = this.#needNative();
    const rows = x.n * g.oh * g.ow;
    const ldo = mode.mode === 2 ? mode.outWords * 4 : w.o * 4;
    const outPtr = this.#output(out, rows * ldo);
    const [sp, bp] = this.#affineRows(mode, w.o);
    const xPtr = this.#input(x.data);
    nat.conv(
      new Uint8Array(this.memory.buffer),
      xPtr,
      x.n,
      x.h,
      x.w,
      x.c,
      x.cWords,
      w.cWords,
      w.pcPtr,
      w.pcStride,
      w.o,
      w.kh,
      w.kw,
      w.sumsPtr,
      g.sy,
      g.sx,
      g.padTop,
      g.padLeft,
      g.oh,
      g.ow,
      mode.mode,
      outPtr,
      ldo,
      sp,
      bp,
    );
    return this.#copyOut(mode.mode, outPtr, (rows * ldo) / 4, out);
  }

  /** The geometry's padding correction, host copy, cached per weights. */
  #correctionHost(w: PreparedConv, g: ConvGeometry, cols: number): PaddingCorrection {
    const key = `${planKey(g)}/${cols}`;
    let c = w.corr.get(key);
    if (c === undefined) {
      c = paddingCorrection(g, w.sums, w.o, cols);
      w.corr.set(key, c);
    }
    return c;
  }

  /** The geometry's padding correction (cached per weights), uploaded as a temporary. */
  #correction(
    w: PreparedConv,
    g: ConvGeometry,
    cols: number,
  ): { table: number; cls: number; classes: number; host: PaddingCorrection } {
    const c = this.#correctionHost(w, g, cols);
    return {
      table: this.#upload(c.table),
      cls: this.#upload(c.cls),
      classes: c.classes,
      host: c,
    };
  }

  /**
   * How the lut kernels write a call's output: straight into it with the transform fused
   * (`fused`: always for packed signs; int32 and float32 outputs when n is a multiple of 16, so
   * 16-channel groups fill the rows exactly), or raw int32 dots for the epilogue. For packed
   * signs it builds the i16 threshold rows per border class on the u16 lane sums themselves
   * (dot = alpha + 2 * sum - corr < thr  <=>  sum < ceil((thr - alpha + corr) / 2), clamped to
   * i16: sums lie in [0, 4 * steps], at most 32764) and the flip bits per 16-channel group, and
   * zeroes the output when the kernel does not write whole rows (odd group count, aligned rows).
   * `corrTable`: the uploaded int32 correction rows (ldr bytes each; class 0 zeros), `host` their
   * host copy (null: one all-zero row, as for a GEMM).
   */
  #lutOut(
    io: OutSetup,
    n: number,
    alpha: number,
    corrTable: number,
    host: PaddingCorrection | null,
  ): { fused: boolean; mode: number; tab: number; tabStride: number; scale: number; bias: number } {
    if (io.mode === 2) {
      const cols = io.ldr / 4;
      const byCorr = io.signEntry!.lut;
      let byAlpha = byCorr.get(host);
      if (byAlpha === undefined) byCorr.set(host, byAlpha = new Map());
      let rows = byAlpha.get(alpha);
      if (rows === undefined) {
        rows = lutThresholds(io.thrHost!, io.flipHost!, cols, alpha, host);
        byAlpha.set(alpha, rows);
      }
      const { t, flipBits } = rows;
      if (io.groups * 2 < io.ldo) {
        new Uint8Array(this.memory.buffer, io.outPtr, io.rows * io.ldo).fill(0);
      }
      return {
        fused: true,
        mode: 2,
        tab: this.#upload(t),
        tabStride: cols * 2,
        scale: this.#upload(flipBits),
        bias: 0,
      };
    }
    if (n % 16 === 0) {
      return {
        fused: true,
        mode: io.mode,
        tab: corrTable,
        tabStride: io.ldr,
        scale: io.scale,
        bias: io.bias,
      };
    }
    return { fused: false, mode: 0, tab: 0, tabStride: 0, scale: 0, bias: 0 };
  }

  // ---------------------------------------------------------------------------------- epilogue

  #setupOut(
    mode: Mode,
    rows: number,
    n: number,
    maxDot: number,
    out: Typed | undefined,
  ): OutSetup {
    const groups = Math.ceil(n / 16);
    const colsPad = Math.ceil(n / 32) * 32;
    const ldr = colsPad * 4;
    const ldo = mode.mode === 2 ? mode.outWords * 4 : n * 4;
    const outPtr = this.#output(out, rows * ldo);
    let scale = 0, bias = 0, thr = 0, flip = 0;
    let thrHost: Int32Array | undefined, flipHost: Int32Array | undefined;
    let signEntry: SignEntry | undefined;
    if (mode.mode !== 0) {
      if (mode.scale.length !== n || mode.bias.length !== n) {
        throw new RangeError(`scale and bias need ${n} values`);
      }
    }
    if (mode.mode === 1) {
      scale = this.#upload(Float32Array.from(mode.scale));
      bias = this.#upload(Float32Array.from(mode.bias));
    } else if (mode.mode === 2) {
      signEntry = this.#signEntry(mode.scale, mode.bias, maxDot, colsPad);
      thr = this.#upload(signEntry.thr);
      flip = this.#upload(signEntry.flip);
      thrHost = signEntry.thr;
      flipHost = signEntry.flip;
    }
    return {
      mode: mode.mode,
      rows,
      groups,
      ldr,
      ldo,
      outPtr,
      scale,
      bias,
      thr,
      flip,
      thrHost,
      flipHost,
      signEntry,
    };
  }

  /** The sign thresholds of (scale, bias), from the cache while the values are unchanged. */
  #signEntry(
    scale: ArrayLike<number>,
    bias: ArrayLike<number>,
    maxDot: number,
    cols: number,
  ): SignEntry {
    const key = scale as object;
    let list = this.#signs.get(key);
    if (list === undefined) this.#signs.set(key, list = []);
    for (const e of list) {
      if (
        e.maxDot === maxDot && e.cols === cols && sameValues(e.scale, scale) &&
        sameValues(e.bias, bias)
      ) return e;
    }
    const t = signThresholds(scale, bias, maxDot, cols);
    const e: SignEntry = {
      scale: Float64Array.from(scale),
      bias: Float64Array.from(bias),
      maxDot,
      cols,
      thr: t.thr,
      flip: t.flip,
      lut: new Map(),
    };
    if (list.length >= 8) list.shift(); // a caller cycling through values: keep a few
    list.push(e);
    return e;
  }

  #epi(
    io: OutSetup,
    raw: number,
    rows: number,
    n: number,
    corr: number,
    cls: number,
    clsStep: number,
    row0: number,
  ): void {
    this.#ex.epilogue(
      raw,
      io.ldr,
      rows,
      n,
      corr,
      cls,
      clsStep,
      io.mode,
      io.outPtr + row0 * io.ldo,
      io.ldo,
      io.scale,
      io.bias,
      io.thr,
      io.flip,
    );
  }

  #result(io: OutSetup, rows: number, out: Typed | undefined): Typed {
    if (out !== undefined) return out;
    const words = (rows * io.ldo) / 4;
    const buf = this.memory.buffer;
    if (io.mode === 0) return new Int32Array(buf, io.outPtr, words).slice();
    if (io.mode === 1) return new Float32Array(buf, io.outPtr, words).slice();
    return new Uint32Array(buf, io.outPtr, words).slice();
  }
}

/**
 * The lut kernels' i16 threshold rows on the u16 lane sums, one row per border class of the
 * padding correction `host` (null: one all-zero row, as for a GEMM), and the flip bits per
 * 16-channel group: dot = alpha + 2 * sum - corr < thr  <=>  sum < ceil((thr - alpha + corr) / 2),
 * clamped to i16 (sums lie in [0, 4 * steps], at most 32764).
 */
function lutThresholds(
  thr: Int32Array,
  flip: Int32Array,
  cols: number,
  alpha: number,
  host: PaddingCorrection | null,
): { t: Int16Array; flipBits: Uint16Array } {
  const classes = host?.classes ?? 1;
  const t = new Int16Array(classes * cols);
  const flipBits = new Uint16Array(cols / 16);
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < cols; j++) {
      const v = Math.ceil((thr[j] - alpha + (host ? host.table[c * host.cols + j] : 0)) / 2);
      t[c * cols + j] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
    }
  }
  for (let j = 0; j < cols; j++) if (flip[j]) flipBits[j >> 4] |= 1 << (j & 15);
  return { t, flipBits };
}

/**
 * Weights in the lut layout: for `rows` output channels with `taps` taps of `cq` channel nibbles
 * each (tap t's bits start at word t * tapWords of the row; for GEMM taps = 1), blocks of 4, then
 * 2, then 1 groups of 16 channels, each block `[step][group][lane]` with one nibble per byte.
 */
function lutWeights(
  data: Uint32Array,
  rows: number,
  strideWords: number,
  taps: number,
  cq: number,
  tapWords: number,
): Uint8Array {
  const S = taps * cq;
  const groups = Math.ceil(rows / 16);
  const out = new Uint8Array(groups * 16 * S);
  let off = 0;
  let g0 = 0;
  while (g0 < groups) {
    const left = groups - g0;
    const G = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    for (let s = 0; s < S; s++) {
      const t = Math.floor(s / cq), q = s % cq;
      const wi = t * tapWords + (q >>> 3), sh = (q & 7) * 4;
      for (let g = 0; g < G; g++) {
        for (let lane = 0; lane < 16; lane++) {
          const o = (g0 + g) * 16 + lane;
          if (o < rows) out[off] = (data[o * strideWords + wi] >>> sh) & 15;
          off++;
        }
      }
    }
    g0 += G;
  }
  return out;
}
