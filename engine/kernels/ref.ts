/**
 * Portable TypeScript reference of the binary kernels: 32-bit words, SWAR popcount, no SIMD.
 * It is the readable definition the WebAssembly kernels are tested against (besides a float
 * tfjs reference), and a fallback where WebAssembly SIMD is missing.
 *
 * Zero padding in `conv2d` is handled the direct way: out-of-bounds taps are skipped, so they add
 * 0 (the WebAssembly kernels instead read them as +1 and subtract a correction, see padding.ts).
 */
import { convGeometry, type ConvOptions } from "./geometry.ts";
import { type PackedNHWC, type PackedOHWI, type PackedRows, wordsFor } from "./pack.ts";
import { affine, affineSignBit } from "./transform.ts";

/** Number of set bits of a 32-bit word (SWAR). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function checkGemm(a: PackedRows, b: PackedRows): void {
  if (a.k !== b.k) throw new RangeError(`gemm: K differs (${a.k} vs ${b.k})`);
}

/** `C[M, N] = A[M, K] . B[N, K]^T` over +/-1 values: `C[i][j] = K - 2 popcount(a_i xor b_j)`. */
export function gemm(a: PackedRows, b: PackedRows): Int32Array {
  checkGemm(a, b);
  const words = Math.ceil(a.k / 32);
  const out = new Int32Array(a.rows * b.rows);
  const ad = a.data, bd = b.data;
  for (let i = 0; i < a.rows; i++) {
    const ao = i * a.strideWords;
    for (let j = 0; j < b.rows; j++) {
      const bo = j * b.strideWords;
      let pc = 0;
      for (let q = 0; q < words; q++) pc += popcount32(ad[ao + q] ^ bd[bo + q]);
      out[i * b.rows + j] = a.k - 2 * pc;
    }
  }
  return out;
}

/** Binary dense layer: `gemm` with the batch as M and the output features as N. */
export const dense = gemm;

/** Applies the float transform to `rows x cols` dots (channel = column). */
export function applyAffine(
  dots: Int32Array,
  cols: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(dots.length);
  for (let i = 0; i < dots.length; i++) {
    const c = i % cols;
    out[i] = affine(dots[i], scale[c], bias[c]);
  }
  return out;
}

/** Packs `rows x cols` dots into sign bits of `y = dot * scale + bias` (rows of `align` words). */
export function applySign(
  dots: Int32Array,
  rows: number,
  cols: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  align = 1,
): PackedRows {
  const strideWords = wordsFor(cols, align);
  const data = new Uint32Array(rows * strideWords);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (affineSignBit(dots[r * cols + c], scale[c], bias[c])) {
        data[r * strideWords + (c >>> 5)] |= 1 << (c & 31);
      }
    }
  }
  return { rows, k: cols, strideWords, data };
}

/** `gemm` followed by `y = dot * scale[j] + bias[j]` (float32). */
export function gemmAffine(
  a: PackedRows,
  b: PackedRows,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float32Array {
  return applyAffine(gemm(a, b), b.rows, scale, bias);
}

/** `gemm` followed by packing the signs of `dot * scale[j] + bias[j]` (rows of `align` words). */
export function gemmSign(
  a: PackedRows,
  b: PackedRows,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  align = 1,
): PackedRows {
  return applySign(gemm(a, b), a.rows, b.rows, scale, bias, align);
}

/**
 * Binary conv2d: packed NHWC input, packed OHWI weights, zero padding; returns the integer dots
 * as NHWC `[n, oh, ow, o]` (equal to a float conv of the +/-1 tensors).
 */
export function conv2d(x: PackedNHWC, w: PackedOHWI, opts: ConvOptions = {}): Int32Array {
  if (x.c !== w.c) throw new RangeError(`conv2d: input has ${x.c} channels, weights ${w.c}`);
  const g = convGeometry(x.h, x.w, w.kh, w.kw, opts);
  const cw = x.cWords;
  const out = new Int32Array(x.n * g.oh * g.ow * w.o);
  const xd = x.data, wd = w.data;
  let p = 0;
  for (let b = 0; b < x.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, p++) {
        for (let o = 0; o < w.o; o++) {
          let dot = 0;
          for (let ky = 0; ky < w.kh; ky++) {
            const iy = oy * g.sy - g.padTop + ky;
            if (iy < 0 || iy >= x.h) continue;
            for (let kx = 0; kx < w.kw; kx++) {
              const ix = ox * g.sx - g.padLeft + kx;
              if (ix < 0 || ix >= x.w) continue;
              const xo = ((b * x.h + iy) * x.w + ix) * cw;
              const wo = o * w.strideWords + (ky * w.kw + kx) * w.cWords;
              let pc = 0;
              for (let q = 0; q < cw; q++) pc += popcount32(xd[xo + q] ^ wd[wo + q]);
              dot += x.c - 2 * pc;
            }
          }
          out[p * w.o + o] = dot;
        }
      }
    }
  }
  return out;
}

/** `conv2d` followed by `y = dot * scale[o] + bias[o]` (float32 NHWC). */
export function conv2dAffine(
  x: PackedNHWC,
  w: PackedOHWI,
  opts: ConvOptions,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float32Array {
  return applyAffine(conv2d(x, w, opts), w.o, scale, bias);
}

/** `conv2d` followed by packing the signs of `dot * scale + bias`: the next layer's input. */
export function conv2dSign(
  x: PackedNHWC,
  w: PackedOHWI,
  opts: ConvOptions,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
): PackedNHWC {
  const g = convGeometry(x.h, x.w, w.kh, w.kw, opts);
  const rows = x.n * g.oh * g.ow;
  const p = applySign(conv2d(x, w, opts), rows, w.o, scale, bias, 1);
  return { n: x.n, h: g.oh, w: g.ow, c: w.o, cWords: p.strideWords, data: p.data };
}
