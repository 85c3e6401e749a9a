/**
 * Neural-architecture track: fp32 and every binarizer on four architecture families trained on
 * the same task, Fashion-MNIST: `mlp` (fp 784 -> 256, two binarized 256 x 256, fp head),
 * `vgg-small` (plain CNN, binarized conv pairs 16-32-64), `resnet20` (residual CNN, 3 x 3 basic
 * blocks 8-16-32, fp 1x1 shortcuts) and `vit` (vision Transformer, engine/nn/models/vit.ts: binarized
 * attention projections and MLP). Layer rules as the reference: stem / embeddings, head,
 * shortcuts, LayerNorm and softmax full precision; Hardtanh where fp uses ReLU / GELU.
 *
 * Every architecture gets the same data and recipe (Adam 1e-3, cosine, batch 64, no weight
 * decay, seeded), so the columns differ by architecture only.
 *
 * OM_arch = sqrt((1/N) sum_i E[A_bi,i / A_fp,i]^2) over architectures i (docs/metrics.md), with
 * E[A_bi / A_fp] = E[A_bi] / E[A_fp] (seeds unpaired; engine/stats.ts).
 */
import { withInit } from "../../engine/init.ts";
import { runId, type RunSpec } from "../../engine/run.ts";
import { accuracyTable } from "../accuracy_table.ts";
import { DEFAULT_TRAIN } from "../task/track.ts";
import type { GridOptions, Profile, Track, TrainSize } from "../track.ts";
import { archPresentation } from "./presentation.ts";

/** The architectures, in column order. */
export const ARCHITECTURES = ["mlp", "vgg-small", "resnet20", "vit"];

/** The task every architecture is trained on. */
export const ARCH_TASK = { name: "fashion", dataset: "fashion-mnist" };

/**
 * Per-profile size. Full-profile runs measured (CPU-s per run, one process per core): mlp ~3,
 * vgg-small ~41-45, resnet20 ~58-152 (fp32 .. fda), vit ~15-16: ~1,250 CPU-s per
 * 2,000-image seed; trained on 1,500 images, the full grid (3 seeds, 108 runs) is ~2,800 CPU-s,
 * ~24 min with 2 workers on 2 cores.
 * smoke: 36 runs, ~1 min; quick: 72 runs, ~4.5 min with 2 workers.
 */
const SIZES: Record<Profile, TrainSize> = {
  smoke: { seeds: 1, epochs: 1, batchSize: 32, limit: { train: 128, val: 32, test: 128 } },
  quick: { seeds: 2, epochs: 1, batchSize: 64, limit: { train: 384, val: 96, test: 500 } },
  full: { seeds: 3, epochs: 3, batchSize: 64, limit: { train: 1500, val: 500, test: 2000 } },
};

export const archTrack: Track = {
  presentation: archPresentation,
  resampleSeeds: true,
  name: "arch",
  title: "Neural architecture",
  grid({ profile, binarizers, seeds, init }: GridOptions): RunSpec[] {
    const size = SIZES[profile];
    const specs: RunSpec[] = [];
    // Seed-major: a run stopped early already has every cell for seed 0.
    for (let seed = 0; seed < (seeds ?? size.seeds); seed++) {
      for (const model of ARCHITECTURES) {
        for (const binarizer of binarizers) {
          const base = { track: "arch", task: ARCH_TASK.name, model, binarizer, seed };
          specs.push(withInit({
            id: runId(base),
            kind: "train",
            ...base,
            dataset: ARCH_TASK.dataset,
            width: 1,
            profile,
            train: { ...DEFAULT_TRAIN, epochs: size.epochs, batchSize: size.batchSize },
            limit: size.limit,
          }, init));
        }
      }
    }
    return specs;
  },
  summarize(results) {
    const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
    return accuracyTable(
      { track: "arch", title: "Neural architecture", omName: "OM_arch" },
      results,
      (r) => r.spec.model,
      { binarizers, columns: ARCHITECTURES },
    );
  },
};
