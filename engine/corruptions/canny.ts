/**
 * Canny edge detection as scikit-image's `feature.canny(image)` with its defaults (sigma 1, low
 * threshold 0.1, high threshold 0.2 on the unnormalised Sobel magnitude of a [0, 1] image), which
 * MNIST-C's `canny_edges` corruption uses:
 *
 * 1. smoothing that ignores the outside: gaussian(image, mode constant) / gaussian(ones, constant);
 * 2. Sobel derivatives isobel (along rows, axis 0) and jsobel (along columns, axis 1), magnitude
 *    hypot(isobel, jsobel);
 * 3. non-maximum suppression in four direction sectors, comparing the magnitude with the two
 *    neighbours on either side interpolated by w = |minor| / |major| (skimage's formulation), on
 *    the interior only (the mask eroded by a 3x3 square);
 * 4. hysteresis: 8-connected components of the local maxima >= low that contain a maximum >= high.
 *
 * Returns a binary image (1 on edges).
 */
import { correlate1d, gaussianKernel, type Gray, sobel } from "./image.ts";

const LOW = 0.1;
const HIGH = 0.2;
const SIGMA = 1;

/** Canny edges of a [0, 1] image (scikit-image defaults). */
export function canny(img: Gray): Gray {
  const { w, h } = img;
  const n = w * h;
  const k = gaussianKernel(SIGMA);
  const blur = (g: Gray) => correlate1d(correlate1d(g, k, 0, "constant"), k, 1, "constant");
  const smoothedImage = blur(img).data;
  const bleed = blur({ w, h, data: new Float32Array(n).fill(1) }).data;
  const smoothed = new Float32Array(n);
  for (let i = 0; i < n; i++) smoothed[i] = smoothedImage[i] / (bleed[i] + 2.220446049250313e-16);
  const s: Gray = { w, h, data: smoothed };
  const isobel = sobel(s, 0).data;
  const jsobel = sobel(s, 1).data;
  const mag = new Float32Array(n);
  for (let i = 0; i < n; i++) mag[i] = Math.hypot(isobel[i], jsobel[i]);

  const at = (r: number, c: number) => mag[r * w + c];
  const localMax = new Uint8Array(n);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      const gi = isobel[i], gj = jsobel[i];
      const ai = Math.abs(gi), aj = Math.abs(gj);
      const m = mag[i];
      let result: boolean | undefined;
      // The four sectors in skimage's order; a later sector overrides an earlier one on ties.
      // 0-45 degrees: neighbours (r+1, c), (r+1, c+1) and (r-1, c), (r-1, c-1).
      if (((gi >= 0 && gj >= 0) || (gi <= 0 && gj <= 0)) && ai >= aj) {
        const wt = aj / ai;
        result = at(r + 1, c + 1) * wt + at(r + 1, c) * (1 - wt) <= m &&
          at(r - 1, c - 1) * wt + at(r - 1, c) * (1 - wt) <= m;
      }
      // 45-90 degrees: (r, c+1), (r+1, c+1) and (r, c-1), (r-1, c-1).
      if (((gi >= 0 && gj >= 0) || (gi <= 0 && gj <= 0)) && ai <= aj) {
        const wt = ai / aj;
        result = at(r + 1, c + 1) * wt + at(r, c + 1) * (1 - wt) <= m &&
          at(r - 1, c - 1) * wt + at(r, c - 1) * (1 - wt) <= m;
      }
      // 90-135 degrees: (r, c+1), (r-1, c+1) and (r, c-1), (r+1, c-1).
      if (((gi <= 0 && gj >= 0) || (gi >= 0 && gj <= 0)) && ai <= aj) {
        const wt = ai / aj;
        result = at(r - 1, c + 1) * wt + at(r, c + 1) * (1 - wt) <= m &&
          at(r + 1, c - 1) * wt + at(r, c - 1) * (1 - wt) <= m;
      }
      // 135-180 degrees: (r-1, c), (r-1, c+1) and (r+1, c), (r+1, c-1).
      if (((gi <= 0 && gj >= 0) || (gi >= 0 && gj <= 0)) && ai >= aj) {
        const wt = aj / ai;
        result = at(r - 1, c + 1) * wt + at(r - 1, c) * (1 - wt) <= m &&
          at(r + 1, c - 1) * wt + at(r + 1, c) * (1 - wt) <= m;
      }
      // 0/0 weights are NaN: every comparison is false, as in numpy.
      if (result) localMax[i] = 1;
    }
  }

  // Hysteresis: flood the 8-connected components of the low mask from every high pixel.
  const low = new Uint8Array(n);
  for (let i = 0; i < n; i++) low[i] = localMax[i] && mag[i] >= LOW ? 1 : 0;
  const out = new Float32Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(low[i] && mag[i] >= HIGH) || out[i]) continue;
    out[i] = 1;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop()!;
      const r = Math.floor(j / w), c = j % w;
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr, cc = c + dc;
          if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
          const q = rr * w + cc;
          if (low[q] && !out[q]) {
            out[q] = 1;
            stack.push(q);
          }
        }
      }
    }
  }
  return { w, h, data: out };
}
