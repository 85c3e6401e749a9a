/**
 * Learning-task track: the same network family trained on different tasks, fp32 and every
 * binarizer. OM_task = sqrt(mean over tasks of E[A_bi / A_fp]^2) (metrics.md).
 */
import { runId, type RunSpec, type TrainSettings } from "../engine/run.ts";
// Models of the added tasks register themselves on import.
import "../engine/models/transformer.ts";
import "../engine/models/pointnet.ts";
import "../engine/models/fsmn.ts";
import { accuracyTable } from "./accuracy_table.ts";
import type { GridOptions, Profile, Track } from "./track.ts";

/** A task: a dataset and the model trained on it. */
export interface TaskDef {
  name: string;
  dataset: string;
  model: string;
  /** Test metrics besides accuracy, by name (engine/pred_metrics.ts), e.g. ["f1"]. */
  metrics?: string[];
  /**
   * False when the model has layers the deploy exporter (engine/deploy) cannot lower
   * (attention, embeddings, point / frame pooling, FSMN memory): tracks that deploy the task
   * track's networks should skip the task.
   */
  deployable?: boolean;
}

export const TASKS: TaskDef[] = [
  { name: "mnist", dataset: "mnist", model: "cnn" },
  { name: "fashion", dataset: "fashion-mnist", model: "cnn" },
  // SpamAssassin mails, BERT-like encoder; F1 with spam as the positive class.
  { name: "spam", dataset: "spam", model: "transformer", metrics: ["f1"], deployable: false },
  // Point clouds drawn from the MNIST digits, PointNet-vanilla.
  { name: "pointcloud", dataset: "pointcloud", model: "pointnet", deployable: false },
  // Keywords spoken by espeak-ng voices, log-mel frames, FSMN.
  { name: "kws", dataset: "kws", model: "fsmn", deployable: false },
];

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
          const own = size.tasks?.[t.name];
          specs.push({
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
