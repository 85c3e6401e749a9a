/**
 * A direct SIMD input gradient for `conv2d` on the wasm backend. The XNNPACK route of
 * engine/tfjs/grads.ts (a forward convolution of the zero-upsampled dy by the flipped, swapped
 * filter) cost more than the forward convolution, 4x more work on stride-2 layers; here
 * train_kernels.wat's `conv_input_grad_tap` adds, per image and filter tap, dy[pos, :] times the
 * tap's [K, C] matrix into dx at the pixel the tap reads, 6 (then 4, then 1) positions x 8 channels
 * in registers.
 *
 * Summation order (fixed, so a seeded run is reproducible bit for bit): for each dx element, taps
 * in row-major order, then output channels k in order, each step a multiply-add (fused where the
 * CPU has FMA, train_kernels.wat's header). Float reassociation only against the XNNPACK route
 * (tests/engine/tfjs/conv_simd_grads_test.ts bounds both SIMD gradients against the exact sums).
 * NHWC float32, dilation 1, input channels a multiple of 8; anything else returns null and the
 * caller takes the XNNPACK route.
 */
import type * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";
import { forEachTapRun } from "./conv_taps.ts";

type Info = tf.TensorInfo;

/**
 * dx (the forward input's shape) of a conv2d with geometry `info` from its filter and output
 * gradient dy, or null where the SIMD kernel cannot run (not wasm, no SIMD, other geometry).
 */
export function fastConvInputGrad(
  backend: tf.KernelBackend,
  dy: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | null {
  if (
    info.inChannels % 8 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1 ||
    info.dataFormat !== "channelsLast"
  ) return null;
  const k = trainKernels(backend);
  if (!k) return null;
  const { batchSize, inHeight: h, inWidth: w, inChannels: c, outChannels: kOut } = info;
  const { outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const out = allocFloat(backend, [batchSize, h, w, c]);
  const wtInfo = allocFloat(backend, [kh, kw, kOut, c]);
  // Views after both allocations (an allocation may grow the heap and detach older views).
  const wt = floatView(backend, wtInfo), ws = floatView(backend, filter);
  for (let t = 0; t < kh * kw; t++) {
    const base = t * c * kOut;
    for (let ci = 0; ci < c; ci++) {
      for (let ko = 0; ko < kOut; ko++) wt[base + ko * c + ci] = ws[base + ci * kOut + ko];
    }
  }
  floatView(backend, out).fill(0);
  const dyAt = offsetOf(backend, dy), wtAt = offsetOf(backend, wtInfo);
  const dxAt = offsetOf(backend, out);
  const dyRow = ow * kOut * 4, dxRow = sh * w * c * 4, dxCol = sw * c * 4;
  forEachTapRun(info, (tap, dxPix, dyPix, rows, cols) =>
    k.conv_input_grad_tap(
      dyAt + dyPix * kOut * 4,
      wtAt + tap * c * kOut * 4,
      dxAt + dxPix * c * 4,
      rows,
      cols,
      dyRow,
      dxRow,
      dxCol,
      c,
      kOut,
      kOut * 4,
    ));
  backend.disposeData(wtInfo.dataId);
  return out;
}
