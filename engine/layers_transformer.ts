/**
 * Transformer layers for the small vision Transformer of the architecture track
 * (engine/models/vit.ts). They implement the `Layer` interface of ./layers.ts and reuse its
 * `Dense`, so binarized linear layers look their binarizer up by name exactly as convolutions do.
 *
 * The reference's rule for Transformers (../shared/reference/binarizers.md, "Network rules"):
 * the linear layers of attention (query / key / value / output projections) and of the MLP are
 * binarized; embeddings, LayerNorm, softmax and the head stay full precision. Attention's two
 * matrix products (Q K^T and P V) multiply activations by activations and stay full precision,
 * as in the reference's binarized BERT.
 *
 * Every layer keeps its sublayers as readonly fields (kind + config + parameters), so counters
 * (complexity track) can walk the tree:
 * - `patch-embed`: `patch`, `tokens`, `proj` (fp Dense of patch*patch*c -> dim), `pos` [tokens, dim];
 * - `layernorm`: `gamma`, `beta` over the last axis;
 * - `attention`: `heads`, `dim`, `q`, `k`, `v`, `o` (Dense dim -> dim, binarized), `tokens`;
 * - `transformer-block`: `ln1`, `attn`, `ln2`, `fc1`, `act`, `fc2` (pre-norm, two residuals);
 * - `gelu`, `token-mean` (mean over tokens, [n, t, d] -> [n, d]).
 */
import { tf } from "./tf.ts";
import type { Rng } from "./rng.ts";
import type { ParamStore } from "./params.ts";
import { Activation, type Ctx, Dense, type Layer } from "./layers.ts";

type Tensor = tf.Tensor;

/** Layer normalisation over the last axis (Ba et al. 2016), learnable gain and bias. */
export class LayerNorm implements Layer {
  readonly kind = "layernorm";
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  constructor(
    readonly name: string,
    readonly features: number,
    store: ParamStore,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.add(`${name}/gamma`, tf.ones([features]));
    this.beta = store.add(`${name}/beta`, tf.zeros([features]));
  }
  apply(x: Tensor): Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
    return tf.add(tf.mul(xhat, this.gamma), this.beta);
  }
}

/** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export class Gelu implements Layer {
  readonly kind = "gelu";
  apply(x: Tensor): Tensor {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }
}

/** Options of a patch embedding. */
export interface PatchEmbedOptions {
  name: string;
  /** Input [h, w, c]; h and w must be multiples of `patch`. */
  inputShape: number[];
  patch: number;
  dim: number;
}

/**
 * Non-overlapping patch x patch patches, flattened and projected to `dim` by a full-precision
 * Dense, plus a learned position embedding (N(0, 0.02^2) init, as ViT): NHWC -> [n, tokens, dim].
 */
export class PatchEmbed implements Layer {
  readonly kind = "patch-embed";
  readonly proj: Dense;
  readonly pos: tf.Variable;
  readonly tokens: number;
  readonly grid: [number, number];
  constructor(readonly opts: PatchEmbedOptions, store: ParamStore, rng: Rng) {
    const [h, w, c] = opts.inputShape;
    const p = opts.patch;
    if (h % p !== 0 || w % p !== 0) {
      throw new Error(`patch ${p} does not divide the input ${h}x${w}`);
    }
    this.grid = [h / p, w / p];
    this.tokens = this.grid[0] * this.grid[1];
    this.proj = new Dense(
      {
        name: `${opts.name}/proj`,
        inFeatures: p * p * c,
        outFeatures: opts.dim,
        binarizer: "fp32",
      },
      store,
      rng,
    );
    const a = new Float32Array(this.tokens * opts.dim);
    for (let i = 0; i < a.length; i++) a[i] = 0.02 * rng.normal();
    this.pos = store.add(`${opts.name}/pos`, tf.tensor2d(a, [this.tokens, opts.dim]));
  }
  get patch(): number {
    return this.opts.patch;
  }
  apply(x: Tensor, ctx: Ctx): Tensor {
    const n = x.shape[0];
    const [gh, gw] = this.grid;
    const p = this.opts.patch;
    const c = x.shape[x.rank - 1];
    // [n, gh, p, gw, p, c] -> [n, gh, gw, p, p, c] -> [n, tokens, p*p*c]
    const patches = tf.reshape(
      tf.transpose(tf.reshape(x, [n, gh, p, gw, p, c]), [0, 1, 3, 2, 4, 5]),
      [n, this.tokens, p * p * c],
    );
    return tf.add(this.proj.apply(patches, ctx), this.pos);
  }
}

/** Multi-head self-attention with binarizable query / key / value / output projections. */
export class MultiHeadAttention implements Layer {
  readonly kind = "attention";
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  constructor(
    readonly name: string,
    readonly dim: number,
    readonly heads: number,
    readonly tokens: number,
    binarizer: string,
    store: ParamStore,
    rng: Rng,
  ) {
    if (dim % heads !== 0) throw new Error(`dim ${dim} is not a multiple of heads ${heads}`);
    const d = (suffix: string) =>
      new Dense(
        { name: `${name}/${suffix}`, inFeatures: dim, outFeatures: dim, binarizer },
        store,
        rng,
      );
    this.q = d("q");
    this.k = d("k");
    this.v = d("v");
    this.o = d("o");
  }
  apply(x: Tensor, ctx: Ctx): Tensor {
    const [n, t] = x.shape;
    const h = this.heads;
    const dh = this.dim / h;
    // [n, t, dim] -> [n, h, t, dh]
    const split = (y: Tensor) => tf.transpose(tf.reshape(y, [n, t, h, dh]), [0, 2, 1, 3]);
    const q = split(this.q.apply(x, ctx));
    const k = split(this.k.apply(x, ctx));
    const v = split(this.v.apply(x, ctx));
    const scores = tf.mul(
      tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true),
      1 / Math.sqrt(dh),
    );
    const attn = tf.softmax(scores, -1);
    const mixed = tf.matMul(attn as tf.Tensor4D, v as tf.Tensor4D); // [n, h, t, dh]
    const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [n, t, this.dim]);
    return this.o.apply(merged, ctx);
  }
}

/** Options of a Transformer encoder block. */
export interface BlockOptions {
  name: string;
  dim: number;
  heads: number;
  tokens: number;
  /** Hidden width of the MLP. */
  mlpDim: number;
  /** Binarizer of the four attention projections and the two MLP layers. */
  binarizer: string;
  /** MLP activation: GELU for full precision, Hardtanh for binarized nets (reference rule). */
  act: Layer;
}

/** Pre-norm encoder block: x + Attn(LN(x)), then + MLP(LN(.)). */
export class TransformerBlock implements Layer {
  readonly kind = "transformer-block";
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Dense;
  readonly act: Layer;
  readonly fc2: Dense;
  constructor(readonly opts: BlockOptions, store: ParamStore, rng: Rng) {
    const { name, dim, mlpDim, binarizer } = opts;
    this.ln1 = new LayerNorm(`${name}/ln1`, dim, store);
    this.attn = new MultiHeadAttention(
      `${name}/attn`,
      dim,
      opts.heads,
      opts.tokens,
      binarizer,
      store,
      rng,
    );
    this.ln2 = new LayerNorm(`${name}/ln2`, dim, store);
    this.fc1 = new Dense(
      { name: `${name}/fc1`, inFeatures: dim, outFeatures: mlpDim, binarizer },
      store,
      rng,
    );
    this.act = opts.act;
    this.fc2 = new Dense(
      { name: `${name}/fc2`, inFeatures: mlpDim, outFeatures: dim, binarizer },
      store,
      rng,
    );
  }
  apply(x: Tensor, ctx: Ctx): Tensor {
    const a = tf.add(x, this.attn.apply(this.ln1.apply(x), ctx));
    const m = this.fc2.apply(this.act.apply(this.fc1.apply(this.ln2.apply(a), ctx), ctx), ctx);
    return tf.add(a, m);
  }
}

/** Mean over the token axis: [n, t, d] -> [n, d]. */
export class TokenMean implements Layer {
  readonly kind = "token-mean";
  apply(x: Tensor): Tensor {
    return tf.mean(x, 1);
  }
}

/** The MLP activation of a block: GELU (fp32) or Hardtanh (binarized), as the reference's rule. */
export function mlpActivation(binary: boolean): Layer {
  return binary ? new Activation("hardtanh") : new Gelu();
}
