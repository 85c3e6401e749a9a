/**
 * The training convolutions' forward pass (engine/nn/layers.ts's Conv2D) on wasm as a direct SIMD
 * loop instead of tfjs-wasm's XNNPACK Conv2D: measured 1.0-1.6x faster on the conv nets' layers on
 * a Zen 1 EPYC, 1.2-3.5x on an AVX-512 Xeon, the forward conv being a third of a conv net's step.
 *
 * y[n, p, :] = sum over taps (row-major), then input channels c in order, of x[n, p + tap, c] ·
 * W[tap, c, :]. That is train_kernels.wat's `conv_input_grad_tap` with the roles renamed: it adds a
 * [positions, C] block times the tap's [C, K] matrix (the filter's own layout) into the output at
 * the tap's shift, 6 (then 4, then 1) positions x 8 output channels in registers, in the order
 * XNNPACK's indirect product takes them, each step a fused multiply-add where the CPU has FMA (one
 * rounding instead of XNNPACK's two: within the same float32 bound, 1.2x faster on resnet20's step;
 * tests/engine/tfjs/conv_forward_test.ts checks the bits of that order). Any stride (the loop reads
 * x at a column stride of its own; resnet20's two stride-2 convolutions), dilation 1, NHWC, output
 * channels a multiple of 8 on wasm; anything else (and every other backend) runs the backend's own
 * Conv2D.
 *
 * A kernel of its own (`BibenchConv2D`, with conv2d's gradient) rather than a replacement of
 * Conv2D, so that inference (engine/deploy/runtime.ts, the infer track's fp32 baseline) keeps
 * measuring stock tfjs-wasm.
 */
import * as tf from "@tensorflow/tfjs";
import { allocFloat, floatView, HEAP_BACKENDS } from "./heap.ts";
import { offsetOf, trainKernels } from "./train_kernels.ts";
import { forEachTapRun } from "./conv_taps.ts";

type Info = tf.TensorInfo;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Shape4 = [number, number, number, number];

/** Kernel name of the training convolution. */
export const TRAIN_CONV = "BibenchConv2D";

/** Attributes of `BibenchConv2D` (those of tfjs's Conv2D that the layers use). */
interface TrainConvAttrs {
  strides: number;
  pad: "same" | "valid";
}

/**
 * y ([N, OH, OW, K]) of a conv2d with geometry `info`, or null where the SIMD loop does
 * not apply (not wasm, no SIMD, other geometry).
 */
export function fastConv2D(
  backend: tf.KernelBackend,
  x: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | null {
  if (
    info.outChannels % 8 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1 ||
    info.dataFormat !== "channelsLast"
  ) return null;
  const k = trainKernels(backend);
  if (!k) return null;
  const { batchSize, inWidth: w, inChannels: c, outChannels: kOut } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const out = allocFloat(backend, [batchSize, oh, ow, kOut]);
  floatView(backend, out).fill(0);
  const xAt = offsetOf(backend, x), wAt = offsetOf(backend, filter), yAt = offsetOf(backend, out);
  const xRow = sh * w * c * 4, xCol = sw * c * 4, yRow = ow * kOut * 4, yCol = kOut * 4;
  forEachTapRun(info, (tap, xPix, yPix, rows, cols) =>
    k.conv_input_grad_tap(
      xAt + xPix * c * 4,
      wAt + tap * c * kOut * 4,
      yAt + yPix * kOut * 4,
      rows,
      cols,
      xRow,
      yRow,
      yCol,
      kOut,
      c,
      xCol,
    ));
  return out;
}

function convInfo(x: Info, filter: Info, a: TrainConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    a.strides,
    1,
    a.pad,
  );
}

function trainConvKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): Info => {
    const { x, filter } = inputs as { x: Info; filter: Info };
    const a = attrs as unknown as TrainConvAttrs;
    if (x.dtype === "float32" && filter.dtype === "float32") {
      const fast = fastConv2D(backend, x, filter, convInfo(x, filter, a));
      if (fast) return fast;
    }
    const stock = tf.getKernel(tf.Conv2D, backendName);
    if (!stock) throw new Error(`the ${backendName} backend has no Conv2D kernel`);
    return stock.kernelFunc({
      inputs,
      backend,
      attrs: { strides: a.strides, pad: a.pad, dataFormat: "NHWC", dilations: 1 },
    }) as Info;
  };
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;

let registered = false;

/**
 * Registers `BibenchConv2D` on the wasm and cpu backends and its gradient (conv2d's: the
 * backends' Conv2DBackpropInput / Conv2DBackpropFilter kernels). Idempotent.
 */
export function registerTrainConv(): void {
  if (registered) return;
  registered = true;
  for (const backendName of HEAP_BACKENDS) {
    tf.registerKernel({
      kernelName: TRAIN_CONV,
      backendName,
      kernelFunc: trainConvKernel(backendName) as tf.KernelFunc,
    });
  }
  tf.registerGradient({
    kernelName: TRAIN_CONV,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, [x, filter], attrs) => {
      const a = attrs as unknown as TrainConvAttrs;
      const common = { strides: a.strides, pad: a.pad, dataFormat: "NHWC" };
      return {
        x: () =>
          run(tf.Conv2DBackpropInput, { dy: dy as tf.Tensor, filter }, {
            ...common,
            inputShape: x.shape,
          }),
        filter: () =>
          run(tf.Conv2DBackpropFilter, { x, dy: dy as tf.Tensor }, {
            ...common,
            filterShape: filter.shape,
          }),
      };
    },
  });
}

/** conv2d of NHWC `x` by HWIO `filter` (the layers' convolution; gradient as tf.conv2d's). */
export function trainConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number,
  pad: "same" | "valid",
): tf.Tensor4D {
  return run(TRAIN_CONV, { x, filter }, { strides, pad }) as tf.Tensor4D;
}
