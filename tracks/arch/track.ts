/**
 * Neural-architecture track: fp32 and every binarizer on four architecture families trained on
 * the same task, Fashion-MNIST: `mlp` (fp 784 -> 256, two binarized 256 x 256, fp head),
 * `vgg-small` (plain CNN, binarized conv pairs 16-32-64), `resnet20` (residual CNN, 3 x 3 basic
 * blocks 16-32-64 as the reference, fp 1x1 shortcuts) and `vit` (vision Transformer, engine/nn/models/vit.ts: binarized
 * attention projections and MLP). Layer rules as the reference: stem / embeddings, head,
 * shortcuts, LayerNorm and softmax full precision; Hardtanh where fp uses ReLU / GELU.
 *
 * Every architecture gets the same data and recipe (Adam 1e-3, cosine, batch 64, no weight
 * decay, seeded), so the columns differ by architecture only.
 *
 * OM_arch = sqrt((1/N) sum_i E[A_bi,i / A_fp,i]^2) over architectures i (docs/metrics.md), with
 * E[A_bi / A_fp] = E[A_bi] / E[A_fp] (seeds unpaired; engine/stats.ts).
 */
import { type ParentSize, withInit, withParentSize } from "../../engine/init.ts";
import { runId, type RunSpec } from "../../engine/run.ts";
import { accuracyTable } from "../accuracy_table.ts";
import { DEFAULT_PLATEAU, DEFAULT_TRAIN } from "../task/track.ts";
import type { GridOptions, Profile, Track, TrainSize } from "../track.ts";
import { archPresentation } from "./presentation.ts";

/** The architectures, in column order. */
export const ARCHITECTURES = ["mlp", "vgg-small", "resnet20", "vit"];

/** The task every architecture is trained on. */
export const ARCH_TASK = { name: "fashion", dataset: "fashion-mnist" };

/** The arch track's size: the shared one, and per-architecture seeds and sample limits. */
interface ArchSize extends TrainSize {
  /** Seeds of the architectures that differ from `seeds` (cheap ones get more). */
  modelSeeds?: Record<string, number>;
  /** Sample limits of the architectures that differ from `limit`. */
  models?: Record<string, TrainSize["limit"]>;
  /**
   * Where an architecture's fp32 network (the parent of its binarized runs) trains on more data
   * or epochs than they do (engine/init.ts `parentSize`).
   */
  parents?: Record<string, ParentSize>;
}

/**
 * Per-profile size. quick: 72 runs, resnet20 on fewer images (at 16-32-64 it trains ~5x slower
 * than the other three). full: trained to convergence by the plateau rule, cap 4 epochs, sized for
 * the fp32 targets (mlp >= 86%, vgg-small >= 90%, vit >= 85%, resnet20 >= 90%) within the
 * profile's 12 h (README, "Profiles"), more data before more epochs. Cost per run = images x cap /
 * rate + evaluation, rate = training images per core-second, mean over the nine binarizers: mlp
 * 2,667, vgg-small 145 (engine/grid/progress.ts PRIOR_RATES), vit 310 and resnet20 at 16-32-64
 * 27 (`deno task bench:costs` on a loaded machine, per CPU-second: vit fp32 338, bnn 344, fda 192;
 * resnet20 fp32 38, bnn 27, fda 18):
 *   mlp        30,000 x 4 / 2,667 =  46 s x 45 runs (5 seeds) =  2.1 k CPU-s
 *   vgg-small  14,000 x 4 /   145 = 403 s x 27 runs           = 10.9 k
 *   resnet20    3,500 x 4 /    27 = 594 s x 27                = 16.0 k
 *   vit        16,000 x 4 /   310 = 211 s x 27                =  5.7 k
 * 34.7 k CPU-s at the caps. resnet20 is the one that does not fit: 90% needs tens of thousands of
 * images, ~10x this budget at today's speed; it gets what fits and is marked where unconverged.
 */
const SIZES: Record<Profile, ArchSize> = {
  smoke: { seeds: 1, epochs: 1, batchSize: 32, limit: { train: 128, val: 32, test: 128 } },
  quick: {
    seeds: 2,
    epochs: 1,
    batchSize: 64,
    plateau: DEFAULT_PLATEAU,
    limit: { train: 384, val: 96, test: 500 },
    models: { resnet20: { train: 128, test: 250 } },
  },
  full: {
    seeds: 3,
    epochs: 4,
    batchSize: 64,
    plateau: DEFAULT_PLATEAU,
    limit: { train: 14000, val: 1000, test: 5000 },
    modelSeeds: { mlp: 5 },
    models: { mlp: { train: 30000 }, resnet20: { train: 3500 }, vit: { train: 16000 } },
  },
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
    const seedsOf = (model: string) => seeds ?? size.modelSeeds?.[model] ?? size.seeds;
    const most = Math.max(...ARCHITECTURES.map(seedsOf));
    for (let seed = 0; seed < most; seed++) {
      for (const model of ARCHITECTURES.filter((m) => seed < seedsOf(m))) {
        for (const binarizer of binarizers) {
          const base = { track: "arch", task: ARCH_TASK.name, model, binarizer, seed };
          specs.push(withParentSize(
            withInit({
              id: runId(base),
              kind: "train",
              ...base,
              dataset: ARCH_TASK.dataset,
              width: 1,
              profile,
              train: {
                ...DEFAULT_TRAIN,
                epochs: size.epochs,
                batchSize: size.batchSize,
                ...(size.plateau ? { plateau: size.plateau } : {}),
              },
              limit: { ...size.limit, ...size.models?.[model] },
            }, init),
            size.parents?.[model],
          ));
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
