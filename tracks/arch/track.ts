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
 * than the other three). full: 8 epochs, the cosine schedule annealed to zero (no plateau rule,
 * as the task track's full profile), checked by the last-quarter convergence mark, sized for
 * the fp32 targets (mlp >= 86%, vgg-small >= 90%, vit >= 85%, resnet20 >= 90%) within the
 * profile's 15 h (README, "Profiles"), more data before more epochs; 5,000 validation images (as
 * the task track's Fashion), so that the converged mark reads a validation accuracy
 * good to ~0.4 pp. The fp32 network of a column trains once per seed and every binarized run
 * fine-tunes from it (fp32 initialisation), so where fp32 needs more data than the binarized runs
 * can afford, the parent gets its own size (`parents`, engine/init.ts): vgg-small and resnet20 on
 * all the training images (the npm subset's, less validation), vit on 30,000.
 * Cost per run = images x cap / rate + evaluation, rate = training images per core-second
 * (`deno task bench:costs`, CPU time with both cores busy, fp32 / bnn / fda): mlp 2,049 / 2,179 /
 * 1,053 (mean over the nine ~1,950), vgg-small 255 / 249 / 104 (binarized mean 231), vit 709 /
 * 694 / 253 (639); resnet20 from its fp32 parent's full-size run (96 images per core-second over
 * 49,650 x 6, the other core busy) and bench:costs' binarized-to-fp32 ratios: mean ~75:
 *   mlp        30,000 x 8 / 1,950 =   123 s x 45 runs (5 seeds)   =  5.6 k CPU-s
 *   vgg-small  parent 49,650 x 8 / 255 = 1,560 s (eval incl.) x 3 =  4.7 k
 *              14,000 x 8 /   231 =   485 s x 24                 = 11.6 k
 *   resnet20   parent 49,650 x 8 /  96 = 4,140 s x 3             = 12.4 k
 *               7,000 x 8 /    75 =   747 s x 24                 = 17.9 k
 *   vit        parent 30,000 x 8 / 709 = 339 s x 3               =  1.0 k
 *              16,000 x 8 /   639 =   200 s x 24                 =  4.8 k
 * ~58 k CPU-s, plus evaluation. Measured fp32, seed 0, npm Fashion subset, before
 * these caps: mlp 88.56% at 30,000 x 4 (still +1.1 pp in its 4th epoch), vgg-small 89.82% at
 * 14,000 x 4 (hence its parent's 50,000), vit 86.30% (30,000 x 8; 82.32% at 16,000 x 4), resnet20
 * 83.22% at 3,500 x 4, 89.03% at 15,000 x 3, and its parent's 49,650 x 6 92.82% (capped at 6;
 * +0.8 pp over the last quarter, so not converged by the rule: hence the cap of 8).
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
    epochs: 8,
    batchSize: 64,
    limit: { train: 14000, val: 5000, test: 5000 },
    modelSeeds: { mlp: 5 },
    models: { mlp: { train: 30000 }, resnet20: { train: 7000 }, vit: { train: 16000 } },
    parents: {
      "vgg-small": { limit: { train: 50000 } },
      resnet20: { limit: { train: 50000 } },
      vit: { limit: { train: 30000 } },
    },
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
