/**
 * Bit-packing of +/-1 tensors: the storage format every binary kernel (TypeScript reference and
 * WebAssembly) reads and writes.
 *
 * Convention, shared by every kernel:
 * - One bit per value, in 32-bit little-endian words; value `i` of a row lives in word `i >>> 5`,
 *   bit `i & 31` (least significant bit first).
 * - Bit SET means -1 (the value was < 0); bit CLEAR means +1 (the value was >= 0, so sign(0) = +1,
 *   the deployment convention of the benchmark).
 * - Padding bits (past the real length) are 0, i.e. +1, on BOTH operands, so `a xor b` is 0 there
 *   and the dot product of two packed rows of real length K is exactly `K - 2 * popcount(a xor b)`
 *   summed over the words: kernels use the real K, never the padded length.
 *
 * Layouts:
 * - Matrices ({@link PackedRows}): row-major, each row `strideWords` words. `align` rounds the
 *   stride up to a multiple of that many words: 1 is enough for the TypeScript reference, 4 (128
 *   bits) is what the WebAssembly SIMD kernels need. Both kernels accept 4-aligned data, so 4 is
 *   the default.
 * - Activations ({@link PackedNHWC}): NHWC with the channels of each pixel packed into
 *   `cWords = ceil(C / 32)` words (channel axis padded to a 32-bit word multiple; no further
 *   alignment, so a conv's packed output feeds the next conv as is).
 * - Conv weights ({@link PackedOHWI}): OHWI (out, kh, kw, in). Each tap's input channels are
 *   padded to `cWords` 32-bit words exactly as in the activations, and the taps of one output
 *   channel are concatenated into a row of `kh * kw * cWords` words, padded to `align` words (4 =
 *   128 bits for WebAssembly). Padding the channel axis itself to 128 bits instead would waste up
 *   to 75% of every popcount for the common C = 32 / 64 layers; padding only the row end costs at
 *   most one partial 128-bit word per output channel.
 */

/** Bits per packed word. */
export const WORD_BITS = 32;

/** A row-major matrix of +/-1 values, one bit each (see the module doc for the convention). */
export interface PackedRows {
  /** Number of rows. */
  rows: number;
  /** Real number of values per row (the K of a GEMM). */
  k: number;
  /** Words per row (>= ceil(k / 32)). */
  strideWords: number;
  /** `rows * strideWords` words. */
  data: Uint32Array;
}

/** Packed NHWC activations: each pixel's `c` channels in `cWords` words. */
export interface PackedNHWC {
  n: number;
  h: number;
  w: number;
  c: number;
  /** Words per pixel: ceil(c / 32). */
  cWords: number;
  /** `n * h * w * cWords` words. */
  data: Uint32Array;
}

/** Packed OHWI conv weights: one row of `kh * kw * cWords` words (padded) per output channel. */
export interface PackedOHWI {
  /** Output channels. */
  o: number;
  kh: number;
  kw: number;
  /** Input channels. */
  c: number;
  /** Words per tap: ceil(c / 32). */
  cWords: number;
  /** Words per output channel (>= kh * kw * cWords, a multiple of the packing alignment). */
  strideWords: number;
  /** `o * strideWords` words. */
  data: Uint32Array;
}

/** Words needed for `k` bits, rounded up to a multiple of `align` words. */
export function wordsFor(k: number, align = 1): number {
  const w = Math.ceil(k / WORD_BITS);
  return Math.ceil(w / align) * align;
}

/** The sign bit of one value: 1 for -1 (v < 0), 0 for +1 (v >= 0, including 0 and -0). */
export function signBit(v: number): number {
  return v < 0 ? 1 : 0;
}

/** Packs a row-major `rows x k` float matrix by sign. */
export function packRows(
  values: ArrayLike<number>,
  rows: number,
  k: number,
  align = 4,
): PackedRows {
  if (values.length < rows * k) throw new RangeError(`packRows: need ${rows * k} values`);
  const strideWords = wordsFor(k, align);
  const data = new Uint32Array(rows * strideWords);
  for (let r = 0; r < rows; r++) {
    const src = r * k;
    const dst = r * strideWords;
    for (let i = 0; i < k; i++) {
      if (values[src + i] < 0) data[dst + (i >>> 5)] |= 1 << (i & 31);
    }
  }
  return { rows, k, strideWords, data };
}

/** Unpacks to a row-major `rows x k` matrix of +/-1 (for tests and debugging). */
export function unpackRows(p: PackedRows): Float32Array {
  const out = new Float32Array(p.rows * p.k);
  for (let r = 0; r < p.rows; r++) {
    for (let i = 0; i < p.k; i++) {
      const bit = (p.data[r * p.strideWords + (i >>> 5)] >>> (i & 31)) & 1;
      out[r * p.k + i] = bit ? -1 : 1;
    }
  }
  return out;
}

/** Copies packed rows into a new stride (a multiple of `align` words); padding stays 0. */
export function realignRows(p: PackedRows, align: number): PackedRows {
  const strideWords = wordsFor(p.k, align);
  if (strideWords === p.strideWords) return p;
  const used = Math.ceil(p.k / WORD_BITS);
  const data = new Uint32Array(p.rows * strideWords);
  for (let r = 0; r < p.rows; r++) {
    data.set(p.data.subarray(r * p.strideWords, r * p.strideWords + used), r * strideWords);
  }
  return { rows: p.rows, k: p.k, strideWords, data };
}

/** Packs NHWC float activations `[n, h, w, c]` by sign. */
export function packNHWC(
  values: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
  c: number,
): PackedNHWC {
  const rows = packRows(values, n * h * w, c, 1);
  return { n, h, w, c, cWords: rows.strideWords, data: rows.data };
}

/** Unpacks NHWC activations to +/-1 floats `[n, h, w, c]`. */
export function unpackNHWC(p: PackedNHWC): Float32Array {
  return unpackRows({ rows: p.n * p.h * p.w, k: p.c, strideWords: p.cWords, data: p.data });
}

/** Packs OHWI float weights `[o, kh, kw, c]` by sign (see the module doc for the row layout). */
export function packOHWI(
  values: ArrayLike<number>,
  o: number,
  kh: number,
  kw: number,
  c: number,
  align = 4,
): PackedOHWI {
  if (values.length < o * kh * kw * c) throw new RangeError("packOHWI: too few values");
  const cWords = wordsFor(c);
  const strideWords = Math.ceil((kh * kw * cWords) / align) * align;
  const data = new Uint32Array(o * strideWords);
  for (let oc = 0; oc < o; oc++) {
    for (let t = 0; t < kh * kw; t++) {
      const src = (oc * kh * kw + t) * c;
      const dst = oc * strideWords + t * cWords;
      for (let i = 0; i < c; i++) {
        if (values[src + i] < 0) data[dst + (i >>> 5)] |= 1 << (i & 31);
      }
    }
  }
  return { o, kh, kw, c, cWords, strideWords, data };
}

/** Packs TensorFlow-layout HWIO float filters `[kh, kw, c, o]` into OHWI. */
export function packHWIO(
  values: ArrayLike<number>,
  kh: number,
  kw: number,
  c: number,
  o: number,
  align = 4,
): PackedOHWI {
  const ohwi = new Float32Array(o * kh * kw * c);
  for (let t = 0; t < kh * kw; t++) {
    for (let i = 0; i < c; i++) {
      for (let oc = 0; oc < o; oc++) {
        ohwi[(oc * kh * kw + t) * c + i] = values[(t * c + i) * o + oc];
      }
    }
  }
  return packOHWI(ohwi, o, kh, kw, c, align);
}

/** The sign bit (1 = -1) of weight `(oc, ky, kx, i)` of packed OHWI weights. */
export function ohwiBit(w: PackedOHWI, oc: number, ky: number, kx: number, i: number): number {
  const word = w.data[oc * w.strideWords + (ky * w.kw + kx) * w.cWords + (i >>> 5)];
  return (word >>> (i & 31)) & 1;
}
