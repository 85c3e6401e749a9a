/**
 * `fsmn`: a small FSMN-style keyword-spotting network over log-mel frames [T, F] (the reference
 * benchmarked FSMN on Speech Commands). An fp input layer F -> 128, then three residual blocks of
 * [binarized Dense 128 -> 64 (projection), BN, fp memory block (per-channel FIR over 9 frames),
 * binarized Dense 64 -> 128, BN] + identity shortcut, act; mean over frames and an fp linear head.
 * Binarized networks use Hardtanh where fp uses ReLU.
 */
import type { Builder } from "../model.ts";
import { type Layer, Residual, Sequential } from "../layers.ts";
import { GlobalAvgPool1D, MemoryBlock } from "../layers_seq.ts";
import { UserError } from "../../errors.ts";

/** Hidden width, projection width, blocks and memory radius at width multiplier 1. */
export const FSMN_CONFIG = { hidden: 128, projection: 64, blocks: 3, radius: 4 } as const;

export const fsmn: Builder = (k, { inputShape, numClasses, width }) => {
  if (inputShape.length !== 2) {
    throw new UserError(`model fsmn expects frame sequences of shape [T, F], got [${inputShape}]`);
  }
  const ch = (c: number) => Math.max(1, Math.round(c * (width ?? 1)));
  const h = ch(FSMN_CONFIG.hidden);
  const p = ch(FSMN_CONFIG.projection);
  const layers: Layer[] = [k.dense(inputShape[1], h, true), k.bn(h), k.act];
  for (let i = 0; i < FSMN_CONFIG.blocks; i++) {
    const body = new Sequential([
      k.dense(h, p),
      k.bn(p),
      new MemoryBlock(k.uniqueName("memory"), p, FSMN_CONFIG.radius, k.store, k.rng),
      k.dense(p, h),
      k.bn(h),
    ]);
    layers.push(new Residual(body, null, k.act));
  }
  layers.push(new GlobalAvgPool1D(), k.dense(h, numClasses, true));
  return new Sequential(layers);
};
