/**
 * Layers for sequence and set inputs (text, point clouds, audio frames): token and positional
 * embeddings, a pointwise (kernel-1) convolution over points, pooling over tokens / points /
 * frames, and an FSMN memory block. The Transformer
 * parts (LayerNorm, attention, encoder blocks) live in ./layers_transformer.ts, shared with the
 * vision Transformer.
 *
 * Inputs are float tensors: token ids arrive as floats (the engine's batches are float32) and are
 * cast to integers by {@link Embedding}.
 */
import { tf } from "../tf.ts";
import type { Rng } from "../rng.ts";
import type { ParamStore } from "./params.ts";
import { Conv2D, type Ctx, type Layer } from "./layers.ts";
import { UserError } from "../errors.ts";

type Tensor = tf.Tensor;

/** Normal(0, std^2) init from the run's generator (BERT initialises embeddings with std 0.02). */
function normalInit(rng: Rng, shape: number[], std: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return tf.tensor(a, shape);
}

/**
 * Token embedding: ids (floats holding integers in [0, vocab)) of any shape [..., L] to vectors
 * [..., L, dim]. The backward pass scatter-adds the rows in JavaScript: tfjs-wasm 4.22 has no
 * `UnsortedSegmentSum` kernel, which `tf.gather`'s gradient needs, and a one-hot matmul would cost
 * vocab x tokens x dim multiply-adds per step.
 */
export class Embedding implements Layer {
  readonly kind = "embedding";
  readonly table: tf.Variable;
  constructor(
    readonly name: string,
    readonly vocab: number,
    readonly dim: number,
    store: ParamStore,
    rng: Rng,
  ) {
    this.table = store.add(`${name}/table`, normalInit(rng, [vocab, dim], 0.02));
  }

  apply(x: Tensor): Tensor {
    const raw = x.dataSync();
    const ids = new Int32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      if (!(Number.isInteger(v) && v >= 0 && v < this.vocab)) {
        throw new UserError(
          `token id ${v} at position ${i} is outside the embedding's vocabulary 0..${
            this.vocab - 1
          }`,
        );
      }
      ids[i] = v;
    }
    const { vocab, dim } = this;
    const shape = [...x.shape, dim];
    const f = tf.customGrad((table) => ({
      value: tf.reshape(tf.gather(table as Tensor, tf.tensor1d(ids, "int32")), shape),
      gradFunc: (dy) => {
        const g = (dy as Tensor).dataSync();
        const out = new Float32Array(vocab * dim);
        for (let t = 0; t < ids.length; t++) {
          const row = ids[t] * dim;
          const src = t * dim;
          for (let j = 0; j < dim; j++) out[row + j] += g[src + j];
        }
        return tf.tensor2d(out, [vocab, dim]);
      },
    }));
    return f(this.table);
  }
}

/** Learned absolute positions: adds a [length, dim] table to x of shape [batch, length, dim]. */
export class PositionalEmbedding implements Layer {
  readonly kind = "position";
  readonly table: tf.Variable;
  constructor(
    readonly name: string,
    readonly length: number,
    readonly dim: number,
    store: ParamStore,
    rng: Rng,
  ) {
    this.table = store.add(`${name}/table`, normalInit(rng, [length, dim], 0.02));
  }

  apply(x: Tensor): Tensor {
    return tf.add(x, this.table);
  }
}

/** Mean of x [batch, L, dim] over the tokens whose id is not 0 (padding): [batch, dim]. */
export function maskedMeanPool(x: Tensor, ids: Tensor): Tensor {
  const keep = tf.cast(tf.notEqual(ids, 0), "float32");
  const count = tf.maximum(tf.sum(keep, 1, true), 1);
  return tf.div(tf.sum(tf.mul(x, tf.expandDims(keep, -1)), 1), count);
}

/** Options of a pointwise convolution over `points` positions of `inChannels` features each. */
export interface PointwiseConvOptions {
  name: string;
  inChannels: number;
  outChannels: number;
  /** Positions per sample (N): the output spatial size a binarizer's spatial scale sees. */
  points: number;
  /** Binarizer name; omitted or "fp32" means a full-precision layer. */
  binarizer?: string;
}

/**
 * A convolution with kernel 1 over [batch, N, C] (a Conv1d with kernel 1, PointNet's shared
 * per-point layer). To its binarizer it is a 1x1 convolution on [batch, N, 1, C] with kernel
 * [1, 1, C_in, C_out]: weight scales per output channel over every input, per-sample activation
 * scales over all points and channels, spatial output scales over the N positions — the
 * convolution formulas, not the dense ones, because the layer is a convolution. The product itself
 * is one matMul of [batch * N, C_in] by [C_in, C_out], which equals the 1x1 convolution.
 */
export class PointwiseConv extends Conv2D {
  constructor(readonly pointOpts: PointwiseConvOptions, store: ParamStore, rng: Rng) {
    super(
      {
        name: pointOpts.name,
        inChannels: pointOpts.inChannels,
        outChannels: pointOpts.outChannels,
        kernel: 1,
        inSpatial: [pointOpts.points, 1],
        binarizer: pointOpts.binarizer,
      },
      store,
      rng,
    );
  }

  override apply(x: Tensor, ctx: Ctx): Tensor {
    const [b, n, c] = x.shape as [number, number, number];
    const { inChannels: cin, outChannels: cout, points } = this.pointOpts;
    if (n !== points || c !== cin) {
      throw new Error(`${this.opts.name}: expected [batch, ${points}, ${cin}], got [${x.shape}]`);
    }
    const bz = this.binarizer;
    const xb = bz.activations(tf.reshape(x, [b, n, 1, c]), this.extra, ctx, this.shape);
    const wb = bz.weights(this.kernel, this.extra, ctx, this.shape);
    let y: Tensor = tf.reshape(
      tf.matMul(tf.reshape(xb, [b * n, cin]), tf.reshape(wb, [cin, cout])),
      [b, n, 1, cout],
    );
    if (bz.output) y = bz.output(y, this.extra, ctx, this.shape);
    if (this.bias) y = tf.add(y, this.bias);
    return tf.reshape(y, [b, n, cout]);
  }
}

/**
 * Max over axis 1 ([batch, points, C] to [batch, C]): PointNet's symmetric aggregation. Forward
 * and backward run in JavaScript: tfjs-wasm's gradients of `max` (an equality against the
 * broadcast maximum) and of `maxPool` were 30-100x slower than this loop. The gradient goes to the
 * first point holding the maximum of each channel.
 */
export class GlobalMaxPool1D implements Layer {
  readonly kind = "global-max-1d";
  apply(x: Tensor): Tensor {
    const [b, n, c] = x.shape as [number, number, number];
    const f = tf.customGrad((input) => {
      const v = (input as Tensor).dataSync();
      const out = new Float32Array(b * c);
      const arg = new Int32Array(b * c);
      for (let s = 0; s < b; s++) {
        const base = s * n * c;
        const o = s * c;
        for (let j = 0; j < c; j++) out[o + j] = v[base + j];
        for (let p = 1; p < n; p++) {
          const row = base + p * c;
          for (let j = 0; j < c; j++) {
            if (v[row + j] > out[o + j]) {
              out[o + j] = v[row + j];
              arg[o + j] = p;
            }
          }
        }
      }
      return {
        value: tf.tensor2d(out, [b, c]),
        gradFunc: (dy) => {
          const g = (dy as Tensor).dataSync();
          const dx = new Float32Array(b * n * c);
          for (let s = 0; s < b; s++) {
            for (let j = 0; j < c; j++) dx[(s * n + arg[s * c + j]) * c + j] = g[s * c + j];
          }
          return tf.tensor3d(dx, [b, n, c]);
        },
      };
    });
    return f(x);
  }
}

/** Mean over axis 1 ([batch, frames, C] to [batch, C]). */
export class GlobalAvgPool1D implements Layer {
  readonly kind = "global-avg-1d";
  apply(x: Tensor): Tensor {
    return tf.mean(x, 1);
  }
}

/**
 * FSMN memory block (Zhang et al. 2015, vectorised form): m_t = p_t + sum_{i=-r..r} a_i (.) p_{t+i}
 * over x [batch, T, C], a learnable per-channel FIR filter over 2r+1 frames (a depthwise
 * convolution along time, zero-padded at the ends), full precision.
 */
export class MemoryBlock implements Layer {
  readonly kind = "fsmn-memory";
  readonly filter: tf.Variable;
  constructor(
    readonly name: string,
    readonly channels: number,
    readonly radius: number,
    store: ParamStore,
    rng: Rng,
  ) {
    const k = 2 * radius + 1;
    this.filter = store.add(`${name}/filter`, normalInit(rng, [k, 1, channels, 1], 1 / k));
  }

  apply(x: Tensor): Tensor {
    const [b, t, c] = x.shape as [number, number, number];
    const x4 = tf.reshape(x, [b, t, 1, c]) as tf.Tensor4D;
    const mem = tf.depthwiseConv2d(x4, this.filter as tf.Tensor4D, 1, "same");
    return tf.add(x, tf.reshape(mem, [b, t, c]));
  }
}
