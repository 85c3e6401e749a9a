/**
 * Training-consumption track: fp32 and every binarizer trained under the reference's eight
 * settings, {SGD lr 0.1, SGD lr 0.01, Adam lr 1e-3, Adam lr 1e-4} x {cosine, step}
 * (docs/metrics.md), on Fashion-MNIST. What it measures: how long training takes
 * (wall time T) and how sensitive the final accuracy is to the hyperparameters (the std of test
 * accuracy over the eight settings).
 *
 * Network: `mlp` (fp 784 -> 256, two binarized 256 -> 256, fp head). The grid is 8 settings x 9
 * binarizers = 72 runs per seed, so the network must be cheap: measured per process on this
 * 2-core machine (CPU time, batch 64), the MLP trains at 1,200-2,300 images/s depending on the
 * binarizer, the CNNs at 50-250; a CNN would get ~10x fewer images per run in the same time,
 * too few for the eight settings to separate from noise.
 *
 * Everything but the optimizer, learning rate and schedule is shared by all runs: batch 64 (32
 * in smoke), momentum 0.9 for SGD, no weight decay, the same data and seeds. The step schedule
 * decays x0.1 at 50% and 75% of the steps; cosine is per step (engine/nn/optim.ts).
 *
 * Initialisation (engine/init.ts): with `init: "fp32"` (the default) each binarized run starts from
 * the trained fp32 network of the same setting and seed, as the reference trains every setting's
 * binarized nets from the fp32 checkpoint; T_bi is the child's own training time (the parent's
 * training, or the reading of its weights, is not in `trainSeconds`).
 *
 * OM_train = sqrt(1/2 (E[T_fp / T_bi]^2 + E[std(A_fp over settings) / std(A_bi over settings)]^2))
 * (docs/metrics.md). Conventions, as stats.ts does for unpaired seeds:
 * - E[T_fp / T_bi], paired (runs with step timing, tracks/train/step_timing.ts): each binarized
 *   run's own T_fp / T_bi, the median of alternating, paired per-step CPU times of its network
 *   and of fp32 measured in its process after training, averaged over seeds and settings;
 * - E[T_fp / T_bi], unpaired (bundles made before step timing): the mean over the eight settings
 *   of (mean T_fp) / (mean T_bi), T the run's `trainSeconds` (training loop with per-epoch
 *   validation; data loading excluded), fp32's from its own runs;
 * - std over settings: the sample std of test accuracy over the eight settings, for each seed,
 *   averaged over seeds; the ratio is E[std_fp] / E[std_bi] with both floored at STD_FLOOR =
 *   0.005 (0.5 pp: below that, accuracy differences between settings are test-set noise), so a
 *   binarizer that is equally bad under every setting cannot score an unbounded ratio. The raw
 *   stds are reported beside.
 *
 * Wall times of separate runs are measured on whatever else the machine runs (other workers,
 * other processes): fp32's own ranged 3.2-6.6 s across seeds of one setting in the published set,
 * as wide as the differences between binarizers. The paired ratio does not depend on another
 * process's wall time. The accuracies are exact (same seed => same numbers).
 *
 * Interval (`trainResample`, tracks/summary.ts): each binarizer's seeds are drawn with
 * replacement as whole seeds (the eight settings of a seed together, as the std over settings
 * pairs them), and each drawn run's paired step samples are drawn with replacement too.
 */
import { withInit } from "../../engine/init.ts";
import { runId, type RunResult, type RunSpec, type TrainSettings } from "../../engine/run.ts";
import { accuracyRatio, mean, std } from "../../engine/stats.ts";
import {
  type Cell,
  type GridOptions,
  type Profile,
  seedCell,
  type Track,
  type TrackTable,
  type TrainSize,
} from "../track.ts";
import { initNotes } from "../init_note.ts";
import { convergenceNotes, withConvergence } from "../convergence_note.ts";
import { renderTrainTable } from "./view.ts";
import { trainPresentation } from "./presentation.ts";
import { stepRatioOf, type StepTimingOptions } from "./step_timing.ts";
import type { Rng } from "../../engine/rng.ts";

/** One training setting of the reference. */
export interface TrainSetting {
  name: string;
  optimizer: TrainSettings["optimizer"];
  lr: number;
  schedule: TrainSettings["schedule"];
}

/** The eight settings, in table order. */
export const SETTINGS: TrainSetting[] = (["cosine", "step"] as const).flatMap((schedule) =>
  [
    { optimizer: "sgd" as const, lr: 0.1, label: "0.1" },
    { optimizer: "sgd" as const, lr: 0.01, label: "0.01" },
    { optimizer: "adam" as const, lr: 1e-3, label: "1e-3" },
    { optimizer: "adam" as const, lr: 1e-4, label: "1e-4" },
  ].map(({ optimizer, lr, label }) => ({
    name: `${optimizer}-${label}-${schedule}`,
    optimizer,
    lr,
    schedule,
  }))
);

/** The model and dataset of the track. */
export const TRAIN_MODEL = "mlp";
export const TRAIN_DATASET = "fashion-mnist";

/** Floor of the std over settings before dividing (see the module doc). */
export const STD_FLOOR = 0.005;

/**
 * Per-profile size. Fixed epochs, no plateau rule: T_fp / T_bi compares training time at equal
 * work (a rule would turn T into time-to-plateau); whether each run converged is still recorded
 * and marked. smoke 72 runs ~45 s; quick 144 runs ~1 min with 2 workers; full: 5 seeds (the grid
 * is cheap), 8,000 images x 3 epochs (more data than the published 6,000 x 3, which left
 * adam-1e-3 at +0.5 pp over its last epoch): 24,000 images / 2,667 per core-second
 * (engine/grid/progress.ts PRIOR_RATES, mlp) + evaluation = 9.3 s x 360 runs = 3.3 k CPU-s, plus
 * the paired step timing of the 320 binarized runs (STEP_TIMING.full, ~3 s each) = 4.3 k CPU-s,
 * ~36 min with 2 workers.
 */
const SIZES: Record<Profile, TrainSize> = {
  smoke: { seeds: 1, epochs: 1, batchSize: 32, limit: { train: 256, val: 64, test: 256 } },
  quick: { seeds: 2, epochs: 1, batchSize: 64, limit: { train: 512, val: 128, test: 500 } },
  full: { seeds: 5, epochs: 3, batchSize: 64, limit: { train: 8000, val: 1000, test: 5000 } },
};

/**
 * Paired step timing per profile (tracks/train/step_timing.ts): `pairs` alternating samples of
 * `steps` training steps of the run's network and of fp32, after one warm-up burst of each:
 * 2 (pairs + 1) bursts per binarized run. Ten pairs (full) give the distribution-free 95%
 * interval of the median [x_(2), x_(9)]; six (smoke, quick) [min, max]. Cost per binarized run on
 * the 2-core machine, about 35-40 ms per mlp step at batch 64 when idle: full 88 steps (~31% of
 * its 3 x 93 training steps, ~3 s), quick 14 (its training is 8 steps; ~0.5 s, ~1 min of CPU for
 * the 128 binarized runs), smoke 14 at batch 32.
 */
export const STEP_TIMING: Record<Profile, StepTimingOptions> = {
  smoke: { steps: 1, pairs: 6 },
  quick: { steps: 1, pairs: 6 },
  full: { steps: 4, pairs: 10 },
};

/** T_fp / T_bi per setting averaged over settings, from mean training times. */
export function timeRatio(fp: number[][], bi: number[][]): number {
  const ratios = fp.map((f, k) => mean(f) / mean(bi[k])).filter((r) => Number.isFinite(r));
  return ratios.length === fp.length ? mean(ratios) : NaN;
}

/** E over seeds of the std of accuracy over settings; `acc[seed]` lists one value per setting. */
export function settingsStd(accBySeed: number[][]): number {
  const stds = accBySeed.filter((a) => a.length >= 2).map((a) => std(a));
  return stds.length ? mean(stds) : NaN;
}

/** Guarded E[std_fp] / E[std_bi]. */
export function stdRatio(fpStd: number, biStd: number): number {
  return Math.max(fpStd, STD_FLOOR) / Math.max(biStd, STD_FLOOR);
}

/** OM_train = sqrt(1/2 (timeRatio^2 + stdRatio^2)). */
export function omTrain(tRatio: number, sRatio: number): number {
  return Math.sqrt(0.5 * (tRatio * tRatio + sRatio * sRatio));
}

/** Builds the training-consumption table. */
export function trainTable(results: RunResult[]): TrackTable {
  const columns = SETTINGS.map((s) => s.name).filter((n) => results.some((r) => r.spec.task === n));
  const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
  // Runs by binarizer and setting, in results order (the bootstrap calls this 1,000 times).
  const index = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${r.spec.binarizer}\u0000${r.spec.task}`;
    index.set(k, [...(index.get(k) ?? []), r]);
  }
  const of = (b: string, setting: string) => index.get(`${b}\u0000${setting}`) ?? [];
  const runsOf = (b: string) => columns.flatMap((c) => of(b, c));
  const accBySeed = (b: string) => {
    const seeds = [
      ...new Set(results.filter((r) => r.spec.binarizer === b).map((r) => r.spec.seed)),
    ];
    // Only seeds that have every setting: a std over a partial set is not comparable.
    return seeds.map((s) =>
      columns.map((c) => of(b, c).find((r) => r.spec.seed === s)?.metrics.testAccuracy)
    ).filter((a) => a.every((x) => x !== undefined)) as number[][];
  };
  const times = (b: string) => columns.map((c) => of(b, c).map((r) => r.timings.trainSeconds));
  // Each binarized run's paired T_fp / T_bi, per setting (NaN where a run has no step samples).
  const pairedOf = (b: string) => columns.map((c) => of(b, c).map(stepRatioOf));
  const isPaired = (p: number[][], b: string) =>
    b !== "fp32" && p.every((xs) => xs.length > 0 && xs.every(Number.isFinite));
  const fpStd = settingsStd(accBySeed("fp32"));
  const rows = binarizers.map((b) => {
    const cells: (Cell | null)[] = columns.map((c) => {
      const xs = of(b, c).map((r) => r.metrics.testAccuracy);
      if (xs.length === 0) return null;
      const fp = of("fp32", c).map((r) => r.metrics.testAccuracy);
      return withConvergence(seedCell(xs, fp.length ? accuracyRatio(xs, fp) : NaN), of(b, c));
    });
    const sStd = settingsStd(accBySeed(b));
    const paired = pairedOf(b);
    const pairedTime = isPaired(paired, b);
    const tRatio = columns.length !== SETTINGS.length
      ? NaN
      : pairedTime
      ? mean(paired.map(mean))
      : timeRatio(times("fp32"), times(b));
    const sRatio = Number.isNaN(fpStd) || Number.isNaN(sStd) ? NaN : stdRatio(fpStd, sStd);
    const allTimes = times(b).flat();
    return {
      binarizer: b,
      cells,
      om: Number.isNaN(tRatio) || Number.isNaN(sRatio) ? NaN : omTrain(tRatio, sRatio),
      extra: {
        trainSeconds: mean(allTimes),
        timeRatio: tRatio,
        settingsStd: sStd,
        stdRatio: sRatio,
        // 1: T_fp / T_bi from paired step timing in the runs' own processes; 0: from wall times.
        pairedTime: pairedTime ? 1 : 0,
        ...(pairedTime
          ? {
            stepCpuMs: mean(runsOf(b).map((r) => r.timings.stepCpuMs)),
            stepCpuFpMs: mean(runsOf(b).map((r) => r.timings.stepCpuFpMs)),
          }
          : {}),
      },
    };
  });
  const pairedRows = rows.filter((r) => r.extra.pairedTime === 1).map((r) => r.binarizer);
  const wallRows = rows.filter((r) => r.extra.pairedTime === 0 && r.binarizer !== "fp32")
    .map((r) => r.binarizer);
  return {
    track: "train",
    title: "Training consumption",
    metric: "test accuracy",
    omName: "OM_train",
    columns,
    rows,
    notes: [
      `${TRAIN_MODEL} on ${TRAIN_DATASET}; stds over settings floored at ${100 * STD_FLOOR} pp ` +
      `before dividing (raw stds shown).`,
      ...(pairedRows.length
        ? [
          `T_fp/T_bi paired (${pairedRows.join(", ")}): each run's median ratio of CPU time per ` +
          `training step, fp32 vs its network, alternating samples in the run's own process; ` +
          `mean over seeds and settings.`,
        ]
        : []),
      ...(wallRows.length
        ? [
          `T_fp/T_bi from wall times of separate runs (${wallRows.join(", ")}): no paired step ` +
          `samples in these results; noisy on a shared machine.`,
        ]
        : []),
      ...initNotes(results),
      ...convergenceNotes(rows.flatMap((r) => r.cells), results),
    ],
  };
}

export const trainTrack: Track = {
  presentation: trainPresentation,
  name: "train",
  title: "Training consumption",
  grid({ profile, binarizers, seeds, init }: GridOptions): RunSpec[] {
    const size = SIZES[profile];
    const specs: RunSpec[] = [];
    // Seed-major, then setting: a run stopped early has whole settings for every binarizer.
    for (let seed = 0; seed < (seeds ?? size.seeds); seed++) {
      for (const s of SETTINGS) {
        for (const binarizer of binarizers) {
          const base = { track: "train", task: s.name, model: TRAIN_MODEL, binarizer, seed };
          specs.push(withInit({
            id: runId(base),
            kind: "train",
            ...base,
            dataset: TRAIN_DATASET,
            width: 1,
            profile,
            train: {
              optimizer: s.optimizer,
              lr: s.lr,
              momentum: 0.9,
              weightDecay: 0,
              schedule: s.schedule,
              epochs: size.epochs,
              batchSize: size.batchSize,
              ...(size.plateau ? { plateau: size.plateau } : {}),
            },
            limit: size.limit,
            // Every run, fp32 included: a child's parent spec must be the fp32 run's own.
            options: { stepTiming: { ...STEP_TIMING[profile] } },
          }, init));
        }
      }
    }
    return specs;
  },
  summarize: trainTable,
  resample: trainResample,
  render: renderTrainTable,
};

/** One resample's copy of run `r` with its paired step samples drawn with replacement. */
function drawPairs(r: RunResult, seed: number, rng: Rng): RunResult {
  const bi = r.samples?.stepCpuMs, fp = r.samples?.stepCpuFpMs;
  const spec = { ...r.spec, seed };
  if (!bi?.length || bi.length !== fp?.length) return { ...r, spec };
  const idx = bi.map(() => rng.int(bi.length));
  return {
    ...r,
    spec,
    samples: { stepCpuMs: idx.map((i) => bi[i]), stepCpuFpMs: idx.map((i) => fp[i]) },
  };
}

/**
 * The train track's bootstrap (`Track.resample`; module doc, "Interval"): per binarizer, its
 * seeds drawn with replacement as whole seeds (the k-th draw relabelled seed k, so a seed drawn
 * twice counts twice), and within every drawn run its paired step samples drawn with
 * replacement. Null when no binarizer has two seeds and no run has two paired samples.
 */
export function trainResample(results: RunResult[]): ((rng: Rng) => RunResult[]) | null {
  const bySeed = new Map<string, Map<number, RunResult[]>>();
  for (const r of results) {
    const seeds = bySeed.get(r.spec.binarizer) ?? new Map<number, RunResult[]>();
    bySeed.set(r.spec.binarizer, seeds);
    seeds.set(r.spec.seed, [...(seeds.get(r.spec.seed) ?? []), r]);
  }
  const varies = [...bySeed.values()].some((s) => s.size > 1) ||
    results.some((r) => (r.samples?.stepCpuMs?.length ?? 0) > 1);
  if (!varies) return null;
  return (rng) =>
    [...bySeed.values()].flatMap((seeds) => {
      const keys = [...seeds.keys()];
      return keys.flatMap((_, k) =>
        seeds.get(keys[rng.int(keys.length)])!.map((r) => drawPairs(r, k, rng))
      );
    });
}
