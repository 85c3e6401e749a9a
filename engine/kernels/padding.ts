/**
 * Exact zero padding for +/-1 convolutions.
 *
 * A packed bit can only say +1 or -1, but a float conv with zero padding gets 0 from every tap
 * that falls outside the image. The fast kernels therefore read out-of-bounds taps as +1 (bits 0,
 * the natural value of zeroed memory) and this module gives the exact fix-up: a +1 input at tap
 * `(ky, kx)` adds `tapSum[o][ky][kx]` (the sum of the weight signs of that tap over the input
 * channels) to output channel `o`, so subtracting the sum of `tapSum` over the out-of-bounds taps
 * of each output pixel recovers the zero-padded result exactly.
 *
 * Which taps are out of bounds depends only on the pixel's distance to the border, so the fix-up
 * is precomputed once per layer as a small table: one row per border class (distinct pair of
 * in-bounds tap ranges along y and x), one column per output channel, plus a per-pixel class
 * index. Class 0 is the interior (no fix-up).
 */
import type { ConvGeometry } from "./geometry.ts";
import { ohwiBit, type PackedOHWI } from "./pack.ts";

/** Per-layer zero-padding correction: `corr[cls[p] * cols + o]` is subtracted from output o. */
export interface PaddingCorrection {
  /** Number of border classes (rows of `table`). */
  classes: number;
  /** Row length of `table` (>= output channels; extra columns are 0). */
  cols: number;
  /** `classes * cols` int32 corrections. */
  table: Int32Array;
  /** Border class of each output pixel `oy * ow + ox`. */
  cls: Int32Array;
}

/** `tapSum[(o * kh + ky) * kw + kx]`: sum over input channels of the weight signs of one tap. */
export function tapSums(w: PackedOHWI): Int32Array {
  const out = new Int32Array(w.o * w.kh * w.kw);
  for (let o = 0; o < w.o; o++) {
    for (let ky = 0; ky < w.kh; ky++) {
      for (let kx = 0; kx < w.kw; kx++) {
        let neg = 0;
        for (let i = 0; i < w.c; i++) neg += ohwiBit(w, o, ky, kx, i);
        out[(o * w.kh + ky) * w.kw + kx] = w.c - 2 * neg;
      }
    }
  }
  return out;
}

/** In-bounds tap range `[lo, hi)` for output coordinate `q` along one axis. */
function tapRange(
  q: number,
  stride: number,
  pad: number,
  size: number,
  k: number,
): [number, number] {
  const start = q * stride - pad;
  return [Math.max(0, -start), Math.min(k, size - start)];
}

/** Distinct tap ranges along one axis, interior `[0, k)` first, and each coordinate's index. */
function axisClasses(
  n: number,
  stride: number,
  pad: number,
  size: number,
  k: number,
): { ranges: [number, number][]; index: Int32Array } {
  const ranges: [number, number][] = [[0, k]];
  const index = new Int32Array(n);
  for (let q = 0; q < n; q++) {
    const [lo, hi] = tapRange(q, stride, pad, size, k);
    let c = ranges.findIndex(([a, b]) => a === lo && b === hi);
    if (c < 0) c = ranges.push([lo, hi]) - 1;
    index[q] = c;
  }
  return { ranges, index };
}

/**
 * Builds the zero-padding correction of a conv layer. `cols` pads each table row (to the kernel's
 * padded channel count) with zeros.
 */
export function paddingCorrection(
  g: ConvGeometry,
  sums: Int32Array,
  o: number,
  cols = o,
): PaddingCorrection {
  const ys = axisClasses(g.oh, g.sy, g.padTop, g.h, g.kh);
  const xs = axisClasses(g.ow, g.sx, g.padLeft, g.w, g.kw);
  const classes = ys.ranges.length * xs.ranges.length;
  const table = new Int32Array(classes * cols);
  for (let ry = 0; ry < ys.ranges.length; ry++) {
    const [y0, y1] = ys.ranges[ry];
    for (let rx = 0; rx < xs.ranges.length; rx++) {
      const [x0, x1] = xs.ranges[rx];
      const row = (ry * xs.ranges.length + rx) * cols;
      for (let oc = 0; oc < o; oc++) {
        let s = 0;
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            if (ky < y0 || ky >= y1 || kx < x0 || kx >= x1) s += sums[(oc * g.kh + ky) * g.kw + kx];
          }
        }
        table[row + oc] = s;
      }
    }
  }
  const cls = new Int32Array(g.oh * g.ow);
  for (let oy = 0; oy < g.oh; oy++) {
    for (let ox = 0; ox < g.ow; ox++) {
      cls[oy * g.ow + ox] = ys.index[oy] * xs.ranges.length + xs.index[ox];
    }
  }
  return { classes, cols, table, cls };
}
