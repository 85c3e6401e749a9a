/**
 * Theoretical complexity of a network: parameters, FLOPs and binary operations (BOPs) per layer
 * and per model, and the ratios of the theoretical-complexity track (docs/metrics.md):
 *
 *   r_c = params_fp / (binary_params / 32 + fp_params_left)
 *   r_s = FLOPs_fp / (BOPs / 64 + FLOPs_left)
 *   OM_comp = sqrt(1/2 * (E[r_c]^2 + E[r_s]^2))
 *
 * Counting conventions (per sample, inference):
 * - FLOPs of a full-precision conv / dense layer are its multiply-accumulates (oh*ow*k*k*cin*cout,
 *   in*out), the convention of the reference and of Bi-Real Net / ReActNet ("OPs = BOPs/64 +
 *   FLOPs"). BOPs of a binarized layer are its binary multiply-accumulates, counted the same way.
 * - Bias adds, BatchNorm (it folds into the preceding conv's bias in the fp network, and into the
 *   per-channel affine / threshold of a binarized layer), activations, pooling and residual adds
 *   are not counted, for every network alike.
 * - FLOPs_left = the full-precision layers' FLOPs (stem, head, 1x1 shortcuts) plus every float
 *   operation a binarizer adds at inference, from its formula (docs/binarizers.md),
 *   one per element:
 *   - channel weight scale mean_c|w| (xnor, dorefa, bireal, react, fda): one multiply per output;
 *   - learnable channel output scale (recu alpha[c]): one multiply per output;
 *   - spatial output scale map alpha[c]*beta[h]*gamma[w] (xnorpp, map built once at load): one
 *     multiply per output (xnorpp dense layers: alpha only, one per output);
 *   - input threshold (react t[c_in]): one add per input element;
 *   - run-time activation scale (xnor): the mean |x| reduction, one per input element, and one
 *     multiply per output.
 *   The deployed runtime folds the channel scales and thresholds into BatchNorm's per-channel
 *   affine / integer threshold, so only xnor's and xnorpp's work costs time there (the
 *   hardware-inference track measures that); the formula count is what this track reports.
 * - Parameters: fp params = every float number the layer holds at inference (weights, bias,
 *   BatchNorm gamma / beta / mean / variance as stored), binary params = binarized weights, plus
 *   the binarizer's inference-time floats (weight scales, output scales, thresholds). Training-only
 *   parameters (fda's noise-adaptation MLPs, which are switched off by the end of training) are
 *   not counted.
 */
import { BatchNorm, Conv2D, Dense, type Layer, Residual, Sequential } from "../nn/layers.ts";
import type { Model } from "../nn/model.ts";
import { quadraticMean } from "../stats.ts";

/** Counts of one layer (per sample). */
export interface LayerCount {
  name: string;
  kind: "conv" | "dense" | "batchnorm";
  /** e.g. "3x3 16->32 @14x14". */
  shape: string;
  binary: boolean;
  /** Float parameters (weights of fp layers, biases, BatchNorm, binarizer floats). */
  fpParams: number;
  /** 1-bit weights. */
  binaryParams: number;
  /** Full-precision multiply-accumulates. */
  flops: number;
  /** Binary multiply-accumulates. */
  bops: number;
  /** Float operations the binarizer adds (included in `flops` of the model totals' FLOPs_left). */
  extraFlops: number;
  /** Float parameters the binarizer adds (included in `fpParams`). */
  extraParams: number;
}

/** Totals of one model. */
export interface ModelCount {
  layers: LayerCount[];
  fpParams: number;
  binaryParams: number;
  /** Full-precision layers' FLOPs plus the binarizers' extra FLOPs: FLOPs_left. */
  flopsLeft: number;
  bops: number;
  extraFlops: number;
}

/** Counts every conv / dense / BatchNorm layer of a model (see the module doc). */
export function countModel(model: Model): ModelCount {
  const layers: LayerCount[] = [];
  walk(model.root, layers);
  const sum = (f: (l: LayerCount) => number) => layers.reduce((a, l) => a + f(l), 0);
  return {
    layers,
    fpParams: sum((l) => l.fpParams),
    binaryParams: sum((l) => l.binaryParams),
    flopsLeft: sum((l) => l.flops + l.extraFlops),
    bops: sum((l) => l.bops),
    extraFlops: sum((l) => l.extraFlops),
  };
}

function walk(layer: Layer, out: LayerCount[]): void {
  if (layer instanceof Sequential) {
    for (const l of layer.layers) walk(l, out);
  } else if (layer instanceof Residual) {
    walk(layer.body, out);
    if (layer.shortcut) walk(layer.shortcut, out);
  } else if (layer instanceof Conv2D || layer instanceof Dense) {
    out.push(countLinear(layer));
  } else if (layer instanceof BatchNorm) {
    out.push({
      name: layer.name,
      kind: "batchnorm",
      shape: `${layer.channels}`,
      binary: false,
      fpParams: 4 * layer.channels,
      binaryParams: 0,
      flops: 0,
      bops: 0,
      extraFlops: 0,
      extraParams: 0,
    });
  } else {
    const inner = layer as { layers?: Layer[] };
    if (Array.isArray(inner.layers)) { for (const l of inner.layers) walk(l, out); }
  }
}

/** Counts one conv or dense layer, with its binarizer's inference extras. */
export function countLinear(layer: Conv2D | Dense): LayerCount {
  const b = layer.binarizer;
  const conv = layer instanceof Conv2D;
  const cin = layer.shape.inChannels, cout = layer.shape.outChannels;
  const k = conv ? layer.opts.kernel : 1;
  const [ih, iw] = conv ? layer.opts.inSpatial : [1, 1];
  const [oh, ow] = conv ? layer.outSpatial : [1, 1];
  const weights = k * k * cin * cout;
  const macs = oh * ow * weights;
  const inElems = ih * iw * cin, outElems = oh * ow * cout;
  const bias = layer.bias ? cout : 0;
  let extraFlops = 0, extraParams = 0;
  if (b.binary) {
    const d = b.deploy;
    if (d.weightScale) {
      extraParams += cout;
      extraFlops += outElems;
    }
    if (d.spatialOutputScale && conv) {
      extraParams += cout + oh + ow;
      extraFlops += outElems;
    } else if (d.channelOutputScale) {
      extraParams += cout;
      extraFlops += outElems;
    }
    if (d.inputThreshold) {
      extraParams += cin;
      extraFlops += inElems;
    }
    if (d.runtimeActivationScale) extraFlops += inElems + outElems;
  }
  return {
    name: layer.opts.name,
    kind: conv ? "conv" : "dense",
    shape: conv
      ? `${k}x${k}${layer.stride > 1 ? `/${layer.stride}` : ""} ${cin}->${cout} @${ih}x${iw}`
      : `${cin}->${cout}`,
    binary: b.binary,
    fpParams: (b.binary ? 0 : weights) + bias + extraParams,
    binaryParams: b.binary ? weights : 0,
    flops: b.binary ? 0 : macs,
    bops: b.binary ? macs : 0,
    extraFlops,
    extraParams,
  };
}

/** r_c, r_s of a binarized model against the full-precision one (docs/metrics.md). */
export function complexityRatios(fp: ModelCount, bi: ModelCount): { rc: number; rs: number } {
  const paramsFp = fp.fpParams + fp.binaryParams;
  const flopsFp = fp.flopsLeft + fp.bops;
  return {
    rc: paramsFp / (bi.binaryParams / 32 + bi.fpParams),
    rs: flopsFp / (bi.bops / 64 + bi.flopsLeft),
  };
}

/** OM_comp = sqrt(1/2 (E[r_c]^2 + E[r_s]^2)), E over models (docs/metrics.md). */
export function omComp(rc: readonly number[], rs: readonly number[]): number {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return quadraticMean([mean(rc), mean(rs)]);
}
