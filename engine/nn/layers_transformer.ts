/**
 * Transformer layers shared by the architecture track's vision Transformer (engine/nn/models/vit.ts,
 * pre-norm blocks) and the spam task's BERT-like text encoder (engine/nn/models/transformer.ts,
 * post-norm blocks). They implement the `Layer` interface of ./layers.ts and reuse its `Dense`, so
 * binarized linear layers look their binarizer up by name exactly as convolutions do.
 *
 * The reference's rule for Transformers (docs/metrics.md, "Network rules"):
 * the linear layers of attention (query / key / value / output projections) and of the MLP are
 * binarized; embeddings, LayerNorm, softmax and the head stay full precision. Attention's two
 * matrix products (Q K^T and P V) multiply activations by activations and stay full precision,
 * as in the reference's binarized BERT. Binarized networks use Hardtanh where the fp network
 * uses GELU.
 *
 * Every layer keeps its sublayers as readonly fields (kind + config + parameters), so counters
 * (complexity track) can walk the tree:
 * - `patch-embed`: `patch`, `tokens`, `proj` (fp Dense of patch*patch*c -> dim), `pos` [tokens, dim];
 * - `layernorm`: `gamma`, `beta` over the last axis;
 * - `attention`: `heads`, `dim`, `q`, `k`, `v`, `o` (Dense dim -> dim, binarized);
 * - `transformer-block` (pre-norm) and `transformer-block-postln` (BERT's order): `ln1`, `attn`,
 *   `ln2`, `fc1`, `act`, `fc2`;
 * - `gelu` (exact erf form or the tanh approximation), `token-mean` (mean over tokens).
 */
import { tf } from "../tf.ts";
import type { Rng } from "../rng.ts";
import { geluTanh } from "../tfjs/gelu.ts";
import { layerNorm } from "../tfjs/layer_norm.ts";
import { softmaxDropNegligible } from "../tfjs/softmax_drop.ts";
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
    // One fused kernel forward and one backward (engine/tfjs/layer_norm.ts), not ~10 + ~20 ops.
    return layerNorm(x, this.gamma, this.beta, this.epsilon);
  }
}

/**
 * GELU. `erf`: the exact 0.5 x (1 + erf(x / sqrt 2)) (BERT); `tanh`: the approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (the ViT's).
 */
export class Gelu implements Layer {
  readonly kind = "gelu";
  constructor(readonly form: "erf" | "tanh") {}
  apply(x: Tensor): Tensor {
    if (this.form === "erf") {
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    }
    // One fused kernel forward and one backward (engine/tfjs/gelu.ts), not 8 + 15 tfjs ops.
    return geluTanh(x);
  }
}

/** The MLP activation of a block: GELU (fp32) or Hardtanh (binarized), as the reference's rule. */
export function mlpActivation(binary: boolean, gelu: "erf" | "tanh" = "tanh"): Layer {
  return binary ? new Activation("hardtanh") : new Gelu(gelu);
}

/** Additive attention mask [batch, 1, 1, L]: 0 on real tokens, -1e9 on padding (id 0). */
export function paddingMask(ids: Tensor): Tensor {
  const pad = tf.cast(tf.equal(ids, 0), "float32");
  const [b, l] = ids.shape as [number, number];
  return tf.reshape(tf.mul(pad, -1e9), [b, 1, 1, l]);
}

/** Options of {@link MultiHeadSelfAttention}. */
export interface AttentionOptions {
  name: string;
  dim: number;
  heads: number;
  /** Binarizer of the Q, K, V and O projections ("fp32" for full precision). */
  binarizer: string;
}

/**
 * Multi-head scaled dot-product self-attention. Q, K, V and O are engine {@link Dense} layers with
 * the given binarizer; the score and context products and the softmax are full precision.
 */
export class MultiHeadSelfAttention implements Layer {
  readonly kind = "attention";
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
    // k is split straight into [b, heads, headDim, L]: q k^T as an unflagged product, which
    // tfjs-wasm runs on XNNPACK (a transpose flag takes its scalar loop); the same values.
    const kT = tf.transpose(tf.reshape(this.k.apply(x, ctx), [b, l, heads, this.headDim]), [
      0,
      2,
      3,
      1,
    ]);
    const v = split(this.v.apply(x, ctx));
    let scores = tf.mul(tf.matMul(q, kT), 1 / Math.sqrt(this.headDim));
    if (mask) scores = tf.add(scores, mask);
    // Negligible probabilities and gradient entries dropped: no subnormal floats downstream.
    const context = tf.matMul(softmaxDropNegligible(scores), v);
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, l, this.opts.dim]);
    return this.o.apply(merged, ctx);
  }

  apply(x: Tensor, ctx: Ctx): Tensor {
    return this.attend(x, null, ctx);
  }
}

/** Options of {@link PreLnBlock} and {@link PostLnBlock}. */
export interface BlockOptions extends AttentionOptions {
  /** Hidden width of the MLP. */
  mlp: number;
  /** MLP activation: GELU for full precision, Hardtanh for binarized nets ({@link mlpActivation}). */
  act: Layer;
}

/** The two binarized linear layers of a block's MLP: dim -> mlp (fc1) and mlp -> dim (fc2). */
function mlpLayers(opts: BlockOptions, store: ParamStore, rng: Rng): [Dense, Dense] {
  const { name, dim, mlp, binarizer } = opts;
  const dense = (part: string, inFeatures: number, outFeatures: number) =>
    new Dense({ name: `${name}/${part}`, inFeatures, outFeatures, binarizer }, store, rng);
  const fc1 = dense("fc1", dim, mlp);
  return [fc1, dense("fc2", mlp, dim)];
}

/** Pre-norm encoder block (the ViT's): x + Attn(LN(x)), then + MLP(LN(.)). */
export class PreLnBlock implements Layer {
  readonly kind = "transformer-block";
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Dense;
  readonly act: Layer;
  readonly fc2: Dense;
  constructor(readonly opts: BlockOptions, store: ParamStore, rng: Rng) {
    const { name, dim } = opts;
    this.ln1 = new LayerNorm(`${name}/ln1`, dim, store);
    this.attn = new MultiHeadSelfAttention({ ...opts, name: `${name}/attn` }, store, rng);
    this.ln2 = new LayerNorm(`${name}/ln2`, dim, store);
    [this.fc1, this.fc2] = mlpLayers(opts, store, rng);
    this.act = opts.act;
  }
  apply(x: Tensor, ctx: Ctx): Tensor {
    const a = tf.add(x, this.attn.apply(this.ln1.apply(x), ctx));
    const m = this.fc2.apply(this.act.apply(this.fc1.apply(this.ln2.apply(a), ctx), ctx), ctx);
    return tf.add(a, m);
  }
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
  constructor(readonly opts: BlockOptions, store: ParamStore, rng: Rng) {
    const { name, dim } = opts;
    this.attn = new MultiHeadSelfAttention({ ...opts, name: `${name}/attn` }, store, rng);
    this.ln1 = new LayerNorm(`${name}/ln1`, dim, store);
    [this.fc1, this.fc2] = mlpLayers(opts, store, rng);
    this.act = opts.act;
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

/** Mean over the token axis: [n, t, d] -> [n, d]. */
export class TokenMean implements Layer {
  readonly kind = "token-mean";
  apply(x: Tensor): Tensor {
    return tf.mean(x, 1);
  }
}
