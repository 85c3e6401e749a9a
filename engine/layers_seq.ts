/**
 * Layers for sequence and set inputs (text, point clouds, audio frames): token and positional
 * embeddings, LayerNorm, GELU, multi-head self-attention, a post-LN Transformer encoder block,
 * pooling over tokens / points / frames, and an FSMN memory block.
 *
 * For counting and export, every layer keeps its sublayers as readonly fields with the same names
 * as engine/layers_transformer.ts (the architecture track's pre-norm ViT layers): attention has
 * `heads`, `dim`, `q`, `k`, `v`, `o`; the block has `ln1`, `attn`, `ln2`, `fc1`, `act`, `fc2`.
 * Kinds differ where the computation does: `masked-attention` (padding mask), and
 * `transformer-block-postln` (BERT's post-LN order). `layernorm` and `gelu` compute what the
 * ViT's do (this GELU is the exact erf form).
 *
 * Binarization follows the reference rule for Transformers (../shared/reference/binarizers.md):
 * the linear layers of attention (Q, K, V, O) and of the MLP are the engine's {@link Dense} layers
 * with the network's binarizer; embeddings, LayerNorm, softmax, the attention products and the
 * head stay full precision. Binarized networks use Hardtanh where the fp network uses GELU.
 *
 * Inputs are float tensors: token ids arrive as floats (the engine's batches are float32) and are
 * cast to integers by {@link Embedding}.
 */
import { tf } from "./tf.ts";
import type { Rng } from "./rng.ts";
import type { ParamStore } from "./params.ts";
import { Activation, type Ctx, Dense, type Layer } from "./layers.ts";
import { UserError } from "./errors.ts";

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

/** Layer normalisation over the last axis (full precision), epsilon 1e-5. */
export class LayerNorm implements Layer {
  readonly kind = "layernorm";
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  constructor(
    readonly name: string,
    readonly dim: number,
    store: ParamStore,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.add(`${name}/gamma`, tf.ones([dim]));
    this.beta = store.add(`${name}/beta`, tf.zeros([dim]));
  }

  apply(x: Tensor): Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}

/** GELU, exact form 0.5 x (1 + erf(x / sqrt 2)): the fp Transformer's activation. */
export class Gelu implements Layer {
  readonly kind = "gelu";
  apply(x: Tensor): Tensor {
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}

/** GELU for full-precision networks, Hardtanh for binarized ones (the reference's rule). */
export function transformerAct(binary: boolean): Layer {
  return binary ? new Activation("hardtanh") : new Gelu();
}

/** Options of {@link MultiHeadSelfAttention}. */
export interface AttentionOptions {
  name: string;
  dim: number;
  heads: number;
  /** Binarizer of the Q, K, V and O projections ("fp32" for full precision). */
  binarizer: string;
}

/** Additive attention mask [batch, 1, 1, L]: 0 on real tokens, -1e9 on padding (id 0). */
export function paddingMask(ids: Tensor): Tensor {
  const pad = tf.cast(tf.equal(ids, 0), "float32");
  const [b, l] = ids.shape as [number, number];
  return tf.reshape(tf.mul(pad, -1e9), [b, 1, 1, l]);
}

/**
 * Multi-head scaled dot-product self-attention. Q, K, V and O are engine {@link Dense} layers with
 * the given binarizer; the score and context products and the softmax are full precision.
 */
export class MultiHeadSelfAttention implements Layer {
  readonly kind = "masked-attention";
  readonly heads: number;
  readonly dim: number;
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  readonly headDim: number;
  constructor(readonly opts: AttentionOptions, store: ParamStore, rng: Rng) {
    const { name, dim, heads, binarizer } = opts;
    if (dim % heads !== 0) throw new Error(`attention dim ${dim} is not divisible by ${heads}`);
    this.heads = heads;
    this.dim = dim;
    this.headDim = dim / heads;
    const dense = (part: string) =>
      new Dense(
        { name: `${name}/${part}`, inFeatures: dim, outFeatures: dim, binarizer },
        store,
        rng,
      );
    this.q = dense("q");
    this.k = dense("k");
    this.v = dense("v");
    this.o = dense("o");
  }

  /** Self-attention over x [batch, L, dim]; `mask` from {@link paddingMask} or none. */
  attend(x: Tensor, mask: Tensor | null, ctx: Ctx): Tensor {
    const [b, l] = x.shape as [number, number];
    const { heads } = this;
    const split = (t: Tensor) =>
      tf.transpose(tf.reshape(t, [b, l, heads, this.headDim]), [0, 2, 1, 3]);
    const q = split(this.q.apply(x, ctx));
    const k = split(this.k.apply(x, ctx));
    const v = split(this.v.apply(x, ctx));
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(this.headDim));
    if (mask) scores = tf.add(scores, mask);
    const context = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, l, this.opts.dim]);
    return this.o.apply(merged, ctx);
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    return this.attend(x, null, ctx);
  }
}

/** Options of {@link PostLnBlock}. */
export interface BlockOptions extends AttentionOptions {
  /** Hidden width of the MLP. */
  mlp: number;
}

/**
 * BERT's post-LN encoder block: h = LN(x + Attn(x)); out = LN(h + W2 act(W1 h)), with W1, W2
 * binarized Dense layers and act = GELU (fp) or Hardtanh (binarized).
 */
export class PostLnBlock implements Layer {
  readonly kind = "transformer-block-postln";
  readonly attn: MultiHeadSelfAttention;
  readonly ln1: LayerNorm;
  readonly fc1: Dense;
  readonly act: Layer;
  readonly fc2: Dense;
  readonly ln2: LayerNorm;
  constructor(readonly opts: BlockOptions, store: ParamStore, rng: Rng, binary: boolean) {
    const { name, dim, mlp, binarizer } = opts;
    this.attn = new MultiHeadSelfAttention({ ...opts, name: `${name}/attn` }, store, rng);
    this.ln1 = new LayerNorm(`${name}/ln1`, dim, store);
    this.fc1 = new Dense(
      { name: `${name}/fc1`, inFeatures: dim, outFeatures: mlp, binarizer },
      store,
      rng,
    );
    this.act = transformerAct(binary);
    this.fc2 = new Dense(
      { name: `${name}/fc2`, inFeatures: mlp, outFeatures: dim, binarizer },
      store,
      rng,
    );
    this.ln2 = new LayerNorm(`${name}/ln2`, dim, store);
  }

  encode(x: Tensor, mask: Tensor | null, ctx: Ctx): Tensor {
    const h = this.ln1.apply(tf.add(x, this.attn.attend(x, mask, ctx)));
    const m = this.fc2.apply(this.act.apply(this.fc1.apply(h, ctx), ctx), ctx);
    return this.ln2.apply(tf.add(h, m));
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    return this.encode(x, null, ctx);
  }
}

/** Mean of x [batch, L, dim] over the tokens whose id is not 0 (padding): [batch, dim]. */
export function maskedMeanPool(x: Tensor, ids: Tensor): Tensor {
  const keep = tf.cast(tf.notEqual(ids, 0), "float32");
  const count = tf.maximum(tf.sum(keep, 1, true), 1);
  return tf.div(tf.sum(tf.mul(x, tf.expandDims(keep, -1)), 1), count);
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
