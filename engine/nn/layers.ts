/**
 * Layers of binarized networks. Each layer is plain data (kind + config + parameter names) with an
 * `apply`, so the same structure drives training (here), counting (complexity track) and export
 * (deployment). Binarized layers look their binarizer up by name and know nothing else about it.
 */
import { tf } from "../tf.ts";
import type { Rng } from "../rng.ts";
import type { ParamStore } from "./params.ts";
import { batchNormTrain } from "../tfjs/fused.ts";
import { trainConv2d } from "../tfjs/conv_forward.ts";
import {
  type Binarizer,
  type BinarizerContext,
  getBinarizer,
  type LayerShape,
  type Params,
} from "../binarizers/mod.ts";

type Tensor = tf.Tensor;

/** Per-forward context: the binarizer context plus BatchNorm's deferred moving-average updates. */
export interface Ctx extends BinarizerContext {
  /** Batch statistics to fold into moving averages after the step (training only). */
  bnUpdates: Array<{ layer: BatchNorm; mean: Tensor; variance: Tensor; count: number }>;
}

/** A layer: data describing it, and how to run it. */
export interface Layer {
  readonly kind: string;
  apply(x: Tensor, ctx: Ctx): Tensor;
}

/** Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)): torch's default conv / linear init. */
function kernelInit(rng: Rng, shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * bound;
  return tf.tensor(a, shape);
}

/** Output size of a conv / pool along one axis with tfjs `same` padding. */
export function sameOut(size: number, stride: number): number {
  return Math.ceil(size / stride);
}

/** Options shared by convolutions and dense layers. */
export interface ConvOptions {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  /** Input spatial size [h, w] (conv only; needed for spatial output scales). */
  inSpatial: [number, number];
  /** Binarizer name; omitted or "fp32" means a full-precision layer. */
  binarizer?: string;
  bias?: boolean;
}

/** Convolution (NHWC, HWIO kernel, `same` padding), binarized when a binarizer is given. */
export class Conv2D implements Layer {
  readonly kind = "conv2d";
  readonly stride: number;
  readonly binarizer: Binarizer;
  readonly shape: LayerShape;
  readonly kernel: tf.Variable;
  readonly bias?: tf.Variable;
  readonly extra: Params;

  constructor(readonly opts: ConvOptions, store: ParamStore, rng: Rng) {
    this.stride = opts.stride ?? 1;
    this.binarizer = getBinarizer(opts.binarizer ?? "fp32");
    const { inChannels: cin, outChannels: cout, kernel: k } = opts;
    const outSpatial: [number, number] = [
      sameOut(opts.inSpatial[0], this.stride),
      sameOut(opts.inSpatial[1], this.stride),
    ];
    this.shape = {
      kind: "conv",
      weightShape: [k, k, cin, cout],
      inChannels: cin,
      outChannels: cout,
      outSpatial,
    };
    this.kernel = store.add(
      `${opts.name}/kernel`,
      kernelInit(rng, [k, k, cin, cout], k * k * cin),
      {
        decay: true,
      },
    );
    if (opts.bias) this.bias = store.add(`${opts.name}/bias`, tf.zeros([cout]));
    this.extra = makeExtra(this.binarizer, this.shape, opts.name, store, rng);
  }

  get outSpatial(): [number, number] {
    return this.shape.outSpatial!;
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    const b = this.binarizer;
    const xb = b.activations(x, this.extra, ctx, this.shape) as tf.Tensor4D;
    const wb = b.weights(this.kernel, this.extra, ctx, this.shape) as tf.Tensor4D;
    let y: Tensor = trainConv2d(xb, wb, this.stride, "same");
    if (b.output) y = b.output(y, this.extra, ctx, this.shape);
    if (this.bias) y = tf.add(y, this.bias);
    return y;
  }
}

/** Options of a dense layer. */
export interface DenseOptions {
  name: string;
  inFeatures: number;
  outFeatures: number;
  binarizer?: string;
  bias?: boolean;
}

/** Fully connected layer over the last axis, binarized when a binarizer is given. */
export class Dense implements Layer {
  readonly kind = "dense";
  readonly binarizer: Binarizer;
  readonly shape: LayerShape;
  readonly kernel: tf.Variable;
  readonly bias?: tf.Variable;
  readonly extra: Params;

  constructor(readonly opts: DenseOptions, store: ParamStore, rng: Rng) {
    this.binarizer = getBinarizer(opts.binarizer ?? "fp32");
    const { inFeatures: i, outFeatures: o } = opts;
    this.shape = { kind: "dense", weightShape: [i, o], inChannels: i, outChannels: o };
    this.kernel = store.add(`${opts.name}/kernel`, kernelInit(rng, [i, o], i), { decay: true });
    if (opts.bias ?? true) this.bias = store.add(`${opts.name}/bias`, tf.zeros([o]));
    this.extra = makeExtra(this.binarizer, this.shape, opts.name, store, rng);
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    const b = this.binarizer;
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, this.opts.inFeatures]);
    const xb = b.activations(x2, this.extra, ctx, this.shape) as tf.Tensor2D;
    const wb = b.weights(this.kernel, this.extra, ctx, this.shape) as tf.Tensor2D;
    let y: Tensor = tf.matMul(xb, wb);
    if (b.output) y = b.output(y, this.extra, ctx, this.shape);
    if (this.bias) y = tf.add(y, this.bias);
    return tf.reshape(y, [...lead, this.opts.outFeatures]);
  }
}

function makeExtra(
  b: Binarizer,
  shape: LayerShape,
  name: string,
  store: ParamStore,
  rng: Rng,
): Params {
  if (!b.params) return {};
  return b.params(shape, rng, (local, init) => store.add(`${name}/${b.name}.${local}`, init));
}

/** Batch normalisation over the last axis, with moving averages for evaluation. */
export class BatchNorm implements Layer {
  readonly kind = "batchnorm";
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVar: tf.Variable;
  constructor(
    readonly name: string,
    readonly channels: number,
    store: ParamStore,
    readonly momentum = 0.9,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.add(`${name}/gamma`, tf.ones([channels]));
    this.beta = store.add(`${name}/beta`, tf.zeros([channels]));
    this.movingMean = store.add(`${name}/mean`, tf.zeros([channels]), { trainable: false });
    this.movingVar = store.add(`${name}/var`, tf.ones([channels]), { trainable: false });
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    if (!ctx.training) {
      return tf.batchNorm(x, this.movingMean, this.movingVar, this.beta, this.gamma, this.epsilon);
    }
    const { y, mean, variance } = batchNormTrain(x, this.gamma, this.beta, this.epsilon);
    ctx.bnUpdates.push({
      layer: this,
      mean: tf.keep(mean),
      variance: tf.keep(variance),
      count: x.size / this.channels,
    });
    return y;
  }

  #updates = 0;

  /**
   * Folds one batch's statistics into the moving averages (unbiased variance, as torch). The
   * first updates use a cumulative average (momentum min(m, t / (t + 1))), so the initial 0 / 1
   * do not linger in short runs: with momentum 0.9 they would still weigh 3% after 32 steps.
   */
  update(mean: Tensor, variance: Tensor, count: number): void {
    const m = Math.min(this.momentum, this.#updates / (this.#updates + 1));
    this.#updates++;
    tf.tidy(() => {
      const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, m), tf.mul(mean, 1 - m)));
      this.movingVar.assign(tf.add(tf.mul(this.movingVar, m), tf.mul(unbiased, 1 - m)));
    });
  }
}

/** ReLU for full-precision networks, Hardtanh for binarized ones (as in the reference). */
export class Activation implements Layer {
  readonly kind = "activation";
  constructor(readonly fn: "relu" | "hardtanh") {}
  apply(x: Tensor): Tensor {
    return this.fn === "relu" ? tf.relu(x) : tf.clipByValue(x, -1, 1);
  }
}

/** 2x2 max pooling, stride 2. */
export class MaxPool implements Layer {
  readonly kind = "maxpool";
  apply(x: Tensor): Tensor {
    return tf.maxPool(x as tf.Tensor4D, 2, 2, "valid");
  }
}

/** Global average pooling NHWC -> NC. */
export class GlobalAvgPool implements Layer {
  readonly kind = "gap";
  apply(x: Tensor): Tensor {
    return tf.mean(x, [1, 2]);
  }
}

/** NHWC -> N(HWC). */
export class Flatten implements Layer {
  readonly kind = "flatten";
  apply(x: Tensor): Tensor {
    return tf.reshape(x, [x.shape[0], -1]);
  }
}

/** Layers in order. */
export class Sequential implements Layer {
  readonly kind = "sequential";
  constructor(readonly layers: Layer[]) {}
  apply(x: Tensor, ctx: Ctx): Tensor {
    let h = x;
    for (const l of this.layers) h = l.apply(h, ctx);
    return h;
  }
}

/** act(body(x) + shortcut(x)): the ResNet basic block's skeleton. */
export class Residual implements Layer {
  readonly kind = "residual";
  constructor(readonly body: Layer, readonly shortcut: Layer | null, readonly act: Activation) {}
  apply(x: Tensor, ctx: Ctx): Tensor {
    const s = this.shortcut ? this.shortcut.apply(x, ctx) : x;
    return this.act.apply(tf.add(this.body.apply(x, ctx), s));
  }
}
