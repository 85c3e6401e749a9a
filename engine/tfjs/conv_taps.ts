/**
 * The (image, filter tap) runs of a 2-D convolution, as the SIMD tap kernels of
 * train_kernels.wat take them: for every image n and tap (i, j), the block of output positions
 * whose input pixel lies inside the image (so no padding is read), given by its first input pixel,
 * its first output pixel, and its rows and columns. The three training convolutions (forward,
 * input gradient, filter gradient) walk the same runs in the same order (images, then taps
 * row-major), which is part of their documented summation order.
 */
import type * as tf from "@tensorflow/tfjs";

/** Output positions o in [lo, hi) whose input index o·stride + tap − pad lies inside [0, inSize). */
export function validRange(
  tap: number,
  pad: number,
  stride: number,
  inSize: number,
  outSize: number,
): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - tap) / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - tap) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Calls `run(tap, inPix, outPix, rows, cols)` for every image and tap with a non-empty block:
 * `tap` = i·kw + j, `inPix` / `outPix` = flat NHW indices of the block's first input and output
 * pixels (multiply by the channel count and 4 for byte offsets).
 */
export function forEachTapRun(
  info: tf.backend_util.Conv2DInfo,
  run: (tap: number, inPix: number, outPix: number, rows: number, cols: number) => void,
): void {
  const { batchSize, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < kh; i++) {
      const [r0, r1] = validRange(i, top, sh, h, oh);
      if (r1 <= r0) continue;
      for (let j = 0; j < kw; j++) {
        const [q0, q1] = validRange(j, left, sw, w, ow);
        if (q1 <= q0) continue;
        const inPix = (n * h + r0 * sh + i - top) * w + q0 * sw + j - left;
        run(i * kw + j, inPix, (n * oh + r0) * ow + q0, r1 - r0, q1 - q0);
      }
    }
  }
}
