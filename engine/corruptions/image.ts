/**
 * Image helpers the MNIST-C corruptions are built from: 2-D float images (row-major, values in
 * [0, 1]), separable Gaussian filtering and Sobel derivatives with scipy.ndimage's boundary
 * modes, bilinear resampling under an affine map (scikit-image `warp`, order 1, constant 0
 * outside), Poisson sampling, and MNIST-C's anti-aliased line. Pure TypeScript, no allocation
 * beyond the returned arrays.
 */
import type { Rng } from "../rng.ts";

/** A grayscale image: `data[r * w + c]`. */
export interface Gray {
  w: number;
  h: number;
  data: Float32Array;
}

/** Boundary handling of a filter (scipy.ndimage names). */
export type BorderMode = "nearest" | "constant" | "reflect";

/** Index of `i` in [0, n) under a boundary mode; -1 means "outside, use 0" (constant). */
function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === "constant") return -1;
  if (mode === "nearest") return i < 0 ? 0 : n - 1;
  // reflect (half-sample symmetric): d c b a | a b c d | d c b a
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/** Correlates every row (axis 1) or column (axis 0) with a 1-D odd-length kernel. */
export function correlate1d(
  img: Gray,
  kernel: ArrayLike<number>,
  axis: 0 | 1,
  mode: BorderMode,
): Gray {
  const { w, h, data } = img;
  const out = new Float32Array(w * h);
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        if (axis === 1) {
          const j = borderIndex(x + k, w, mode);
          if (j >= 0) s += kernel[k + r] * data[y * w + j];
        } else {
          const j = borderIndex(y + k, h, mode);
          if (j >= 0) s += kernel[k + r] * data[j * w + x];
        }
      }
      out[y * w + x] = s;
    }
  }
  return { w, h, data: out };
}

/** scipy's Gaussian kernel: radius int(truncate * sigma + 0.5), weights normalised to sum 1. */
export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
    sum += k[i + radius];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Gaussian blur (scipy.ndimage.gaussian_filter / skimage.filters.gaussian): separable, truncated
 * at 4 sigma. skimage's default boundary mode is "nearest".
 */
export function gaussian(img: Gray, sigma: number, mode: BorderMode = "nearest"): Gray {
  const k = gaussianKernel(sigma);
  return correlate1d(correlate1d(img, k, 0, mode), k, 1, mode);
}

/**
 * Sobel derivative along `axis` (scipy.ndimage.sobel, mode "reflect"): [-1, 0, 1] along the
 * axis, [1, 2, 1] smoothing across it; not normalised.
 */
export function sobel(img: Gray, axis: 0 | 1): Gray {
  const d = correlate1d(img, [-1, 0, 1], axis, "reflect");
  return correlate1d(d, [1, 2, 1], axis === 0 ? 1 : 0, "reflect");
}

/**
 * Bilinear sample at (row r, col c) with 0 outside the image (skimage's order-1 interpolation,
 * mode "constant", cval 0).
 */
export function bilinear(img: Gray, r: number, c: number): number {
  const { w, h, data } = img;
  const r0 = Math.floor(r), c0 = Math.floor(c);
  const dr = r - r0, dc = c - c0;
  const at = (y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? data[y * w + x] : 0);
  const top = (1 - dc) * at(r0, c0) + dc * at(r0, c0 + 1);
  const bottom = (1 - dc) * at(r0 + 1, c0) + dc * at(r0 + 1, c0 + 1);
  return (1 - dr) * top + dr * bottom;
}

/**
 * An affine map in skimage's convention: (x, y) = (col, row) -> (a x + b y + c, d x + e y + f),
 * i.e. the 3x3 matrix [[a, b, c], [d, e, f], [0, 0, 1]].
 */
export type Affine = [number, number, number, number, number, number];

/**
 * skimage `warp(image, inverse_map=M)`: output pixel (col, row) takes the input at M(col, row),
 * bilinear, 0 outside.
 */
export function warpAffine(img: Gray, m: Affine): Gray {
  const { w, h } = img;
  const out = new Float32Array(w * h);
  const [a, b, c, d, e, f] = m;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = bilinear(img, d * x + e * y + f, a * x + b * y + c);
    }
  }
  return { w, h, data: out };
}

/**
 * Adds the translation that keeps the image centre ((w-1)/2, (h-1)/2) = (13.5, 13.5) fixed to the
 * linear part [[a, b], [d, e]], as MNIST-C does for shear, rotate and scale.
 */
export function centred(a: number, b: number, d: number, e: number, size = 28): Affine {
  const mid = (size - 1) / 2;
  return [a, b, mid * (1 - a - b), d, e, mid * (1 - d - e)];
}

/** Poisson sample with mean `lambda` (Knuth's product method; fine for the small means here). */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Uniform integer in [lo, hi) (numpy's randint(lo, hi)). */
export function randint(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo);
}

/** -1 or +1 with equal probability (numpy's choice([-1, 1])). */
export function randomSign(rng: Rng): number {
  return rng.next() < 0.5 ? -1 : 1;
}

/**
 * MNIST-C's anti-aliased line through (c0, r0) and (c1, r1) on a size x size grid: intensity
 * log(1 - d / 2.3) + 1 clipped to [0, 1], d the vertical distance of a pixel to the line (so the
 * stroke is ~3 px thick), restricted to columns floor(c0) .. ceil(c1) - 1; empty when c0 == c1.
 */
export function lineFromPoints(c0: number, r0: number, c1: number, r1: number, size = 28): Gray {
  const out = new Float32Array(size * size);
  if (c1 === c0) return { w: size, h: size, data: out };
  const slope = (r1 - r0) / (c1 - c0);
  const left = Math.floor(c0), right = Math.ceil(c1);
  for (let r = 0; r < size; r++) {
    for (let c = Math.max(0, left); c < Math.min(size, right); c++) {
      const dist = Math.min(Math.abs(r - (slope * (c - c0) + r0)), 2.3 - 1e-10);
      const v = Math.log(1 - dist / 2.3) + 1;
      out[r * size + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { w: size, h: size, data: out };
}

/** Clips every value to [0, 1] in place; returns the image. */
export function clip01(img: Gray): Gray {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < 0 ? 0 : d[i] > 1 ? 1 : d[i];
  return img;
}
