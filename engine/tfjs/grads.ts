/**
 * Convolution gradient kernels that `@tensorflow/tfjs-backend-wasm` 4.22 does not ship, or ships
 * too slowly to train with.
 *
 * The wasm backend has `Conv2D`, `Conv2DBackpropInput` and `DepthwiseConv2dNative`, but no
 * `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter` or
 * `DepthwiseConv2dNativeBackpropInput`, so `tf.grad` through a convolution throws there. This module
 * registers those three. The two that map onto a forward convolution reuse the backend's own
 * (XNNPACK) kernels on rearranged tensors; the depthwise filter gradient is a plain loop, which
 * measured faster than XNNPACK's path for the huge dilated kernel that rearrangement would need.
 *
 * Kernels run the backend's kernels directly (not through `tf` ops), so nothing reaches the
 * engine's tape or tensor count, and every intermediate buffer is freed before returning.
 * NHWC, dilation 1 and float32 only (tfjs's own conv gradients reject dilation > 1 anyway).
 *
 * The stock wasm `Conv2DBackpropInput` is a plain loop, ~12x slower than the forward conv (it was
 * 60% of a training step); it is replaced by a direct SIMD loop (engine/tfjs/conv_input_grad.ts)
 * where that applies, else by a forward XNNPACK conv of the zero-upsampled dy with the flipped,
 * in/out-swapped filter (31 ms vs 411 ms on [64,28,28,16] <- [64,28,28,32], 3x3). The filter
 * gradient likewise runs engine/tfjs/conv_filter_grad.ts's SIMD loop where it applies.
 */
import * as tf from "@tensorflow/tfjs";
import { fastConvFilterGrad } from "./conv_filter_grad.ts";
import { validRange } from "./conv_taps.ts";
import { fastConvInputGrad } from "./conv_input_grad.ts";

type Info = tf.TensorInfo;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Shape4 = [number, number, number, number];
type ConvInfo = tf.backend_util.Conv2DInfo;
/** `[before, after]` padding of the height and width axes; negative means crop. */
type Pads2 = [[number, number], [number, number]];

const BACKEND = "wasm";

/** Stock wasm kernels this module replaces with faster ones. */
const REPLACED_KERNELS: ReadonlyArray<[string, (args: KernelArgs) => Info]> = [
  [tf.Conv2DBackpropInput, conv2DBackpropInput],
];

/** The kernels this module provides, registered only where the wasm backend lacks them. */
const GRADIENT_KERNELS: ReadonlyArray<[string, (args: KernelArgs) => Info]> = [
  [tf.Conv2DBackpropFilter, conv2DBackpropFilter],
  [tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
];

/**
 * Registers the convolution gradient kernels missing from the wasm backend, so that `tf.grad`
 * through `tf.conv2d` and `tf.depthwiseConv2d` works on wasm. Idempotent, and never replaces a
 * kernel that is already registered (a future tfjs may ship its own).
 */
export function registerWasmGradients(): void {
  for (const [kernelName, kernelFunc] of REPLACED_KERNELS) {
    if (tf.getKernel(kernelName, BACKEND)?.kernelFunc === kernelFunc) continue;
    if (tf.getKernel(kernelName, BACKEND) !== undefined) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: kernelFunc as tf.KernelFunc,
    });
  }
  for (const [kernelName, kernelFunc] of GRADIENT_KERNELS) {
    if (tf.getKernel(kernelName, BACKEND) !== undefined) continue;
    // tfjs types a kernel's backend as `{}`; every backend passed here is a KernelBackend.
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: kernelFunc as tf.KernelFunc,
    });
  }
}

/**
 * Filter gradient of `conv2d`: dW[i,j,c,k] = Σ_{n,oh,ow} x[n, oh·sh+i−top, ow·sw+j−left, c] ·
 * dy[n,oh,ow,k]. Where it applies, engine/tfjs/conv_filter_grad.ts's SIMD loop computes it
 * directly (several times faster); otherwise: that is a forward convolution of x with batch and channels swapped ([C,H,W,N])
 * by dy as the filter ([OH,OW,N,K]), dilated by the forward stride; its output is [C,kh,kw,K].
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertFloat32("Conv2DBackpropFilter", x, dy);
  if (a.dataFormat === "NCHW") {
    throw new Error("wasm Conv2DBackpropFilter supports dataFormat NHWC only, got NCHW");
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const fast = fastConvFilterGrad(backend, x, dy, info);
  if (fast) return fast;
  return withScratch(backend, (s) => {
    const xT = s.run("Transpose", { x }, { perm: [3, 1, 2, 0] });
    const dyT = s.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
    const { x: input, pad } = splitPads(s, xT, filterGradPads(info));
    const dw = s.run("Conv2D", { x: input, filter: dyT }, {
      strides: 1,
      pad,
      dataFormat: "NHWC",
      dilations: [info.strideHeight, info.strideWidth],
    });
    return s.run("Transpose", { x: dw }, { perm: [1, 2, 0, 3] });
  });
}

/**
 * Input gradient of `conv2d`. Where it applies, engine/tfjs/conv_input_grad.ts's SIMD loop
 * computes it directly; otherwise dx = a stride-1 correlation of up(dy) (stride−1 zeros between rows
 * and columns) with the spatially flipped filter whose in/out channels are swapped.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertFloat32("Conv2DBackpropInput", dy, filter);
  if (a.dataFormat === "NCHW") {
    throw new Error("wasm Conv2DBackpropInput supports dataFormat NHWC only, got NCHW");
  }
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as Shape4,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const fast = fastConvInputGrad(backend, dy, filter, info);
  if (fast) return fast;
  return withScratch(backend, (s) => {
    const up = upsample(s, dy, info.strideHeight, info.strideWidth);
    const { x: input, pad } = splitPads(s, up, inputGradPads(info, up));
    const flipped = s.run("Reverse", { x: filter }, { dims: [0, 1] });
    const swapped = s.run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] });
    return s.run("Conv2D", { x: input, filter: swapped }, {
      strides: 1,
      pad,
      dataFormat: "NHWC",
      dilations: 1,
    });
  });
}

/**
 * Input gradient of `depthwiseConv2d`: dx[n,h,w,c] = Σ_{q,i,j} up(dy)[n, h+top−i, w+left−j, c·m+q] ·
 * W[i,j,c,q], where up(dy) puts stride−1 zeros between the rows and columns of dy. That is a
 * depthwise correlation of up(dy) with the spatially flipped filter, summed over the multiplier m.
 */
function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertFloat32("DepthwiseConv2dNativeBackpropInput", dy, filter);
  assertNoDilation("DepthwiseConv2dNativeBackpropInput", a.dilations);
  const info = depthwiseInfo(a.inputShape, filter.shape as Shape4, a);
  const [kh, kw, channels, mult] = filter.shape;
  return withScratch(backend, (s) => {
    const up = upsample(s, dy, info.strideHeight, info.strideWidth);
    const { x: input, pad } = splitPads(s, up, inputGradPads(info, up));
    const flipped = s.run("Reverse", { x: filter }, { dims: [0, 1] });
    const perChannel = s.run("Reshape", { x: flipped }, { shape: [kh, kw, channels * mult, 1] });
    const dx = s.run("DepthwiseConv2dNative", { x: input, filter: perChannel }, {
      strides: 1,
      pad,
      dilations: 1,
    });
    if (mult === 1) return dx;
    const split = s.run("Reshape", { x: dx }, { shape: [...a.inputShape, mult] });
    return s.run("Sum", { x: split }, { axis: [4], keepDims: false });
  });
}

/**
 * Filter gradient of `depthwiseConv2d`: dW[i,j,c,q] = Σ_{n,oh,ow} x[n, oh·sh+i−top, ow·sw+j−left, c]
 * · dy[n,oh,ow,c·m+q], computed directly on the data (see the module comment for why).
 */
function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  assertFloat32("DepthwiseConv2dNativeBackpropFilter", x, dy);
  assertNoDilation("DepthwiseConv2dNativeBackpropFilter", a.dilations);
  const info = depthwiseInfo(x.shape as Shape4, a.filterShape, a);
  const xs = backend.readSync(x.dataId) as Float32Array;
  const dys = backend.readSync(dy.dataId) as Float32Array;
  const dw = depthwiseFilterGrad(xs, dys, info);
  const shape = [...a.filterShape];
  return { dataId: backend.write(dw, shape, "float32"), shape, dtype: "float32" };
}

/** Loop body of `depthwiseBackpropFilter`, one filter tap at a time, accumulated in float64. */
function depthwiseFilterGrad(xs: Float32Array, dys: Float32Array, info: ConvInfo): Float32Array {
  const { filterHeight: kh, filterWidth: kw, inChannels: channels } = info;
  const out = new Float32Array(kh * kw * info.outChannels);
  const acc = new Float64Array(info.outChannels);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      acc.fill(0);
      accumulateTap(acc, xs, dys, info, i, j, channels);
      out.set(acc, (i * kw + j) * info.outChannels);
    }
  }
  return out;
}

/** Adds Σ_{n,oh,ow} x[n, oh·sh+i−top, ow·sw+j−left, c] · dy[n,oh,ow,c·m+q] into acc[c·m+q]. */
function accumulateTap(
  acc: Float64Array,
  xs: Float32Array,
  dys: Float32Array,
  info: ConvInfo,
  i: number,
  j: number,
  channels: number,
): void {
  const { inHeight, inWidth, outHeight, outWidth, outChannels, strideHeight, strideWidth } = info;
  const mult = outChannels / channels;
  const [ohLo, ohHi] = validRange(i, info.padInfo.top, strideHeight, inHeight, outHeight);
  const [owLo, owHi] = validRange(j, info.padInfo.left, strideWidth, inWidth, outWidth);
  const xStep = strideWidth * channels;
  for (let n = 0; n < info.batchSize; n++) {
    for (let oh = ohLo; oh < ohHi; oh++) {
      const h = oh * strideHeight + i - info.padInfo.top;
      let d = ((n * outHeight + oh) * outWidth + owLo) * outChannels;
      let xb = ((n * inHeight + h) * inWidth + owLo * strideWidth + j - info.padInfo.left) *
        channels;
      for (let ow = owLo; ow < owHi; ow++, d += outChannels, xb += xStep) {
        if (mult === 1) {
          for (let c = 0; c < channels; c++) acc[c] += xs[xb + c] * dys[d + c];
        } else {
          for (let c = 0; c < channels; c++) {
            const v = xs[xb + c];
            for (let q = 0, k = c * mult; q < mult; q++, k++) acc[k] += v * dys[d + k];
          }
        }
      }
    }
  }
}

/**
 * Pads of x for the filter-gradient correlation: `top` before (as in the forward pass), and after
 * whatever makes the output exactly kh rows: kh + (OH−1)·sh − H − top (negative means the last
 * rows of x are never read, so they are cropped).
 */
function filterGradPads(info: ConvInfo): Pads2 {
  const { top, left } = info.padInfo;
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;
  return [[top, bottom], [left, right]];
}

/**
 * Pads of up(dy) for the input-gradient correlation with the flipped filter: kh−1−top before, and
 * after whatever makes the output exactly H rows (negative means crop).
 */
function inputGradPads(info: ConvInfo, up: Info): Pads2 {
  const { top, left } = info.padInfo;
  return [
    [info.filterHeight - 1 - top, info.inHeight + top - up.shape[1]],
    [info.filterWidth - 1 - left, info.inWidth + left - up.shape[2]],
  ];
}

/**
 * Splits possibly negative pads of an NHWC tensor into an explicit conv padding (the positive
 * parts) and a crop (the negative parts), since convolutions only accept non-negative padding.
 */
function splitPads(s: Scratch, x: Info, [[top, bottom], [left, right]]: Pads2): {
  x: Info;
  pad: tf.backend_util.ExplicitPadding;
} {
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  const cut = [top, bottom, left, right].map((p) => Math.max(0, -p));
  if (cut.every((c) => c === 0)) return { x, pad };
  const [n, h, w, c] = x.shape;
  const size = [n, h - cut[0] - cut[1], w - cut[2] - cut[3], c];
  return { x: s.run("Slice", { x }, { begin: [0, cut[0], cut[2], 0], size }), pad };
}

/** Inserts stride−1 zero rows/columns after every row/column of an NHWC tensor. */
function upsample(s: Scratch, dy: Info, sh: number, sw: number): Info {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = s.run("Reshape", { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
  const paddings = [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]];
  const padded = s.run("PadV2", { x: spread }, { paddings, constantValue: 0 });
  return s.run("Reshape", { x: padded }, { shape: [n, oh * sh, ow * sw, c] });
}

/** Forward geometry of a depthwise convolution with dilation 1. */
function depthwiseInfo(
  xShape: Shape4,
  filterShape: Shape4,
  a: { strides: [number, number] | number; pad: PadArg; dimRoundingMode?: Rounding },
): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
}

type Rounding = "floor" | "round" | "ceil";
type PadArg = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

function assertFloat32(kernel: string, ...tensors: Info[]): void {
  for (const t of tensors) {
    if (t.dtype !== "float32") throw new Error(`wasm ${kernel} needs float32, got ${t.dtype}`);
  }
}

function assertNoDilation(kernel: string, dilations: [number, number] | number | undefined): void {
  const [dh, dw] = typeof dilations === "number" ? [dilations, dilations] : dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1) {
    throw new Error(`wasm ${kernel} supports dilation 1 only, got dilations ${dh},${dw}`);
  }
}

/**
 * Runs wasm kernels directly (no engine, no tape, no tensor tracking) and remembers every buffer it
 * creates, so that `withScratch` can free them all except the result.
 */
class Scratch {
  readonly #temps: Info[] = [];
  constructor(readonly backend: tf.KernelBackend) {}

  /** Runs one single-output kernel of the wasm backend. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): Info {
    const kernel = tf.getKernel(kernelName, BACKEND);
    if (kernel === undefined) throw new Error(`the wasm backend has no ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as Info;
    this.#temps.push(out);
    return out;
  }

  /** Takes `out` off the free list; it must be a buffer this scratch created. */
  keep(out: Info): Info {
    const at = this.#temps.indexOf(out);
    if (at < 0) throw new Error("wasm gradient kernel returned a buffer it does not own");
    this.#temps.splice(at, 1);
    return out;
  }

  /** Frees every buffer still on the list (reshapes hold a reference count, so order is free). */
  dispose(): void {
    for (const t of this.#temps) this.backend.disposeData(t.dataId);
    this.#temps.length = 0;
  }
}

/** Runs `body` with a fresh `Scratch`, returns its result and frees everything else. */
function withScratch(backend: tf.KernelBackend, body: (s: Scratch) => Info): Info {
  const s = new Scratch(backend);
  try {
    return s.keep(body(s));
  } finally {
    s.dispose();
  }
}
