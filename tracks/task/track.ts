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
import { withInit } from "../../engine/init.ts";
import { runId, type RunResult, type RunSpec, type TrainSettings } from "../../engine/run.ts";
import { mean } from "../../engine/stats.ts";
import { metricKey } from "../../engine/nn/metrics.ts";
import { accuracyTable } from "../accuracy_table.ts";
import type { GridOptions, Profile, Track, TrackTable } from "../track.ts";
import { taskPresentation } from "./presentation.ts";
import { taskDefs } from "./tasks.ts";

/** Per-profile size: sample limits, epochs, seeds. */
interface Size {
  seeds: number;
  epochs: number;
  batchSize: number;
  limit?: Record<string, { train?: number; val?: number; test?: number }>;
  /** Per-task epochs / batch size where they differ from the profile's. */
  tasks?: Record<string, { epochs?: number; batchSize?: number }>;
}

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
  // The default profile: all six tracks in under 15 minutes on a 2-core machine with 2 workers
  // (README, "Profiles"); 2 seeds so every cell has a spread. Small subsets, 2 epochs: the
  // numbers show the pipeline and the ordering, not converged accuracies (that is `full`).
  quick: {
    seeds: 2,
    epochs: 2,
    batchSize: 64,
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
  // The full profile is sized so that all six tracks fit in about two hours on a 2-core machine
  // with 2 workers (README, "Profiles"): the image tasks train the cnn on 5,000 images for 3
  // epochs (~235 steps of 64, ~70 CPU-s per run); Fashion is tested on its official 10,000.
  full: {
    seeds: 3,
    epochs: 3,
    batchSize: 64,
    limit: {
      mnist: { train: 5000, val: 1000 },
      fashion: { train: 5000, val: 1000 },
      spam: { train: 3000, val: 300 },
      pointcloud: { train: 2700, val: 300 },
    },
    // spam, pointcloud, kws: measured 46, 38 and 38 s per run (mean over the nine binarizers;
    // fda is about twice the mean; training steps of 32 samples: transformer 0.17 s, pointnet
    // 0.13 s, fsmn 0.16 s, cnn 0.17 s), 81 runs = 25 min of the full profile with 2 workers.
    tasks: {
      spam: { epochs: 2, batchSize: 32 },
      pointcloud: { epochs: 3, batchSize: 32 },
      kws: { epochs: 4, batchSize: 32 },
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
          specs.push(withInit({
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
            },
            ...(size.limit?.[t.name] ? { limit: size.limit[t.name] } : {}),
            ...(t.metrics ? { options: { metrics: t.metrics } } : {}),
          }, init));
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
