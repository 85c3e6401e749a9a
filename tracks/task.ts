/**
 * Learning-task track: the same network family trained on different tasks, fp32 and every
 * binarizer. OM_task = sqrt(mean over tasks of E[A_bi / A_fp]^2) (metrics.md).
 */
import { runId, type RunSpec, type TrainSettings } from "../engine/run.ts";
import { accuracyTable } from "./accuracy_table.ts";
import type { GridOptions, Profile, Track } from "./track.ts";

/** A task: a dataset and the model trained on it. */
export interface TaskDef {
  name: string;
  dataset: string;
  model: string;
}

export const TASKS: TaskDef[] = [
  { name: "mnist", dataset: "mnist", model: "cnn" },
  { name: "fashion", dataset: "fashion-mnist", model: "cnn" },
];

/** Per-profile size: sample limits, epochs, seeds. */
interface Size {
  seeds: number;
  epochs: number;
  batchSize: number;
  limit?: Record<string, { train?: number; val?: number; test?: number }>;
}

const SIZES: Record<Profile, Size> = {
  smoke: {
    seeds: 1,
    epochs: 2,
    batchSize: 32,
    limit: {
      mnist: { train: 512, val: 128, test: 512 },
      fashion: { train: 512, val: 128, test: 512 },
    },
  },
  quick: {
    seeds: 3,
    epochs: 3,
    batchSize: 64,
    limit: {
      mnist: { train: 2000, val: 500, test: 2000 },
      fashion: { train: 2000, val: 500, test: 2000 },
    },
  },
  full: {
    seeds: 3,
    epochs: 6,
    batchSize: 64,
    limit: { fashion: { train: 20000, val: 2000 } },
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
  name: "task",
  title: "Learning task",
  grid({ profile, binarizers, seeds }: GridOptions): RunSpec[] {
    const size = SIZES[profile];
    const specs: RunSpec[] = [];
    // Seed-major order: a long run that is stopped early still has every cell for seed 0.
    for (let seed = 0; seed < (seeds ?? size.seeds); seed++) {
      for (const t of TASKS) {
        for (const binarizer of binarizers) {
          const base = { track: "task", task: t.name, model: t.model, binarizer, seed };
          specs.push({
            id: runId(base),
            kind: "train",
            ...base,
            dataset: t.dataset,
            width: 1,
            profile,
            train: { ...DEFAULT_TRAIN, epochs: size.epochs, batchSize: size.batchSize },
            ...(size.limit?.[t.name] ? { limit: size.limit[t.name] } : {}),
          });
        }
      }
    }
    return specs;
  },
  summarize(results) {
    const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
    return accuracyTable(
      { track: "task", title: "Learning task", omName: "OM_task" },
      results,
      (r) => r.spec.task,
      { binarizers, columns: TASKS.map((t) => t.name) },
    );
  },
};
