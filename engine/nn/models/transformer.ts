/**
 * `transformer`: a small BERT-like encoder for token-id sequences (the spam task). Token +
 * learned positional embeddings and LayerNorm (fp), two post-LN encoder blocks (4 heads, width
 * 64, MLP 128) whose Q/K/V/O and MLP linear layers carry the binarizer, masked mean pooling over
 * the non-padding tokens, and an fp linear head. Input: [L] token ids (as floats), 0 = padding;
 * ids must be below {@link TRANSFORMER_VOCAB}.
 */
import { tf } from "../../tf.ts";
import type { Builder, BuildKit, ModelInput } from "../model.ts";
import type { Ctx, Dense, Layer } from "../layers.ts";
import { getBinarizer } from "../../binarizers/mod.ts";
import { Embedding, maskedMeanPool, PositionalEmbedding } from "../layers_seq.ts";
import { LayerNorm, mlpActivation, paddingMask, PostLnBlock } from "../layers_transformer.ts";
import { UserError } from "../../errors.ts";

/** Rows of the token embedding table: every token id fed to the model must be below this. */
export const TRANSFORMER_VOCAB = 4096;
/** Encoder depth, heads and widths at width multiplier 1. */
export const TRANSFORMER_CONFIG = { layers: 2, heads: 4, dim: 64, mlp: 128 } as const;

/** The encoder as one layer: its parts are public so counting / export can walk them. */
export class TextTransformer implements Layer {
  readonly kind = "text-transformer";
  readonly embed: Embedding;
  readonly position: PositionalEmbedding;
  readonly embedNorm: LayerNorm;
  readonly blocks: PostLnBlock[];
  readonly head: Dense;

  constructor(k: BuildKit, { inputShape, numClasses, width }: ModelInput) {
    if (inputShape.length !== 1) {
      throw new UserError(
        `model transformer expects samples of token ids of shape [L], got [${inputShape}]`,
      );
    }
    const { layers, heads } = TRANSFORMER_CONFIG;
    const dim = heads * Math.max(1, Math.round((TRANSFORMER_CONFIG.dim * (width ?? 1)) / heads));
    const mlp = Math.max(1, Math.round(TRANSFORMER_CONFIG.mlp * (width ?? 1)));
    const binary = getBinarizer(k.binarizer).binary;
    this.embed = new Embedding(k.uniqueName("embed"), TRANSFORMER_VOCAB, dim, k.store, k.rng);
    this.position = new PositionalEmbedding(
      k.uniqueName("pos"),
      inputShape[0],
      dim,
      k.store,
      k.rng,
    );
    this.embedNorm = new LayerNorm(k.uniqueName("ln"), dim, k.store);
    this.blocks = Array.from({ length: layers }, () =>
      new PostLnBlock(
        {
          name: k.uniqueName("block"),
          dim,
          heads,
          mlp,
          binarizer: k.binarizer,
          act: mlpActivation(binary, "erf"),
        },
        k.store,
        k.rng,
      ));
    this.head = k.dense(dim, numClasses, true);
  }

  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    const mask = paddingMask(x);
    let h = this.embedNorm.apply(this.position.apply(this.embed.apply(x)));
    for (const b of this.blocks) h = b.encode(h, mask, ctx);
    return this.head.apply(maskedMeanPool(h, x), ctx);
  }
}

/** The `transformer` model builder. */
export const transformer: Builder = (k, input) => new TextTransformer(k, input);
