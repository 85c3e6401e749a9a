/**
 * `vit`: a small vision Transformer (Dosovitskiy et al. 2021) for 28x28 images, registered with
 * the model registry by the composition root (app/plugins.ts).
 *
 * Layout: 7x7 patches -> 16 tokens, fp patch projection to d = 64 + learned position embedding;
 * 2 pre-norm encoder blocks (4-head self-attention, MLP 64 -> 128 -> 64); final LayerNorm, mean
 * over tokens, fp linear head. Binarized (reference rule, docs/metrics.md):
 * the attention projections q, k, v, o and both MLP layers; full precision: patch embedding,
 * position embedding, LayerNorm, softmax, attention's activation-activation products, head.
 * The MLP activation is GELU in the fp32 network and Hardtanh in binarized ones (the reference's
 * "Hardtanh where full precision uses ReLU", extended to GELU).
 *
 * 7x7 patches rather than 4x4 keep the token count at 16 (attention and every linear layer cost
 * per token): a training step of batch 64 takes ~130-250 CPU-ms here (fp32 .. fda), ~260-500
 * images/s, between the MLP and the CNNs.
 */
import type { Builder } from "../model.ts";
import { getBinarizer } from "../../binarizers/mod.ts";
import { Sequential } from "../layers.ts";
import {
  LayerNorm,
  mlpActivation,
  PatchEmbed,
  PreLnBlock,
  TokenMean,
} from "../layers_transformer.ts";

/** The documented configuration (width 1). */
export const VIT_CONFIG = { patch: 7, dim: 64, heads: 4, depth: 2, mlpRatio: 2 } as const;

export const vit: Builder = (k, { inputShape, numClasses, width }) => {
  const { patch, heads, depth, mlpRatio } = VIT_CONFIG;
  // Width scales d, kept a multiple of the number of heads.
  const dim = Math.max(heads, Math.round((VIT_CONFIG.dim * (width ?? 1)) / heads) * heads);
  const binary = getBinarizer(k.binarizer).binary;
  const embed = new PatchEmbed(
    { name: k.uniqueName("embed"), inputShape, patch, dim },
    k.store,
    k.rng,
  );
  const blocks = Array.from({ length: depth }, () =>
    new PreLnBlock(
      {
        name: k.uniqueName("block"),
        dim,
        heads,
        mlp: dim * mlpRatio,
        binarizer: k.binarizer,
        act: mlpActivation(binary),
      },
      k.store,
      k.rng,
    ));
  return new Sequential([
    embed,
    ...blocks,
    new LayerNorm(k.uniqueName("ln"), dim, k.store),
    new TokenMean(),
    k.dense(dim, numClasses, true),
  ]);
};
