/**
 * A direct SIMD filter gradient for `conv2d` on the wasm backend. The XNNPACK route of
 * engine/tfjs/grads.ts (a forward convolution of the batch/channel-swapped x by dy as a 28x28
 * "filter") cost ~3x the forward convolution and was the largest kernel of a training step; here
 * train_kernels.wat's `conv_filter_grad_tap` accumulates dW[i,j,c,k] += x[pos, c] * dy[pos, k] over
 * the valid output positions of each image and tap, with 6 x 8 (then 4 x 8) blocks of dW in
 * registers.
 *
 * Summation order (fixed, so a seeded run is reproducible bit for bit): for each dW element, images
 * in order, then output rows, then output columns, each step a multiply-add (fused where the CPU
 * has FMA, train_kernels.wat's header). That differs from XNNPACK's order, so values differ from
 * the old route by float rounding only (tests/engine/tfjs/conv_simd_grads_test.ts bounds it against
 * the exact sums). NHWC float32, dilation 1, output channels a multiple of 8; anything else returns
 * null and the caller takes the XNNPACK route.
 */
import type * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";
import { forEachTapRun } from "./conv_taps.ts";

type Info = tf.TensorInfo;

/** Whether `fastConvFilterGrad` handles this geometry (else it returns null). */
export function fastConvFilterGradApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return info.outChannels % 8 === 0 && info.dilationHeight === 1 && info.dilationWidth === 1 &&
    info.dataFormat === "channelsLast";
}

/**
 * dW ([kh, kw, C, K]) of a conv2d with geometry `info` from its input x and output gradient dy,
 * or null where the SIMD kernel cannot run (not wasm, no SIMD, unsupported geometry).
 */
export function fastConvFilterGrad(
  backend: tf.KernelBackend,
  x: Info,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | null {
  if (!fastConvFilterGradApplies(info)) return null;
  const k = trainKernels(backend);
  if (!k) return null;
  const { inWidth: w, inChannels: c, outChannels: kOut, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const out = allocFloat(backend, [kh, kw, c, kOut]);
  floatView(backend, out).fill(0);
  const xAt = offsetOf(backend, x), dyAt = offsetOf(backend, dy), dwAt = offsetOf(backend, out);
  const xRow = sh * w * c * 4, xCol = sw * c * 4, dyRow = ow * kOut * 4;
  forEachTapRun(info, (tap, xPix, dyPix, rows, cols) =>
    k.conv_filter_grad_tap(
      xAt + xPix * c * 4,
      dyAt + dyPix * kOut * 4,
      dwAt + tap * c * kOut * 4,
      rows,
      cols,
      xRow,
      xCol,
      dyRow,
      c,
      kOut,
    ));
  return out;
}
