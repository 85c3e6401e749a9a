/**
 * The learning tasks: each a dataset (engine/data/mod.ts) and the model trained on it
 * (engine/nn/models/). The task track trains every registered task; robust and infer reuse the
 * task runs. The composition root (app/plugins.ts) registers {@link BUILTIN_TASKS}; a task is one
 * more `registerTask` line there (sizes per profile: tracks/task/track.ts `SIZES`, optional).
 */

/** A task: a dataset and the model trained on it. */
export interface TaskDef {
  name: string;
  dataset: string;
  model: string;
  /** Test metrics besides accuracy, by name (engine/nn/metrics.ts), e.g. ["f1"]. */
  metrics?: string[];
  /**
   * False when the model has layers the deploy exporter (engine/deploy) cannot lower
   * (attention, embeddings, point / frame pooling, FSMN memory): tracks that deploy the task
   * track's networks should skip the task.
   */
  deployable?: boolean;
}

/** The built-in tasks, in column order. */
export const BUILTIN_TASKS: readonly TaskDef[] = [
  { name: "mnist", dataset: "mnist", model: "cnn" },
  { name: "fashion", dataset: "fashion-mnist", model: "cnn" },
  // SpamAssassin mails, BERT-like encoder; F1 with spam as the positive class.
  { name: "spam", dataset: "spam", model: "transformer", metrics: ["f1"], deployable: false },
  // Point clouds drawn from the MNIST digits, PointNet-vanilla.
  { name: "pointcloud", dataset: "pointcloud", model: "pointnet", deployable: false },
  // Keywords spoken by espeak-ng voices, log-mel frames, FSMN.
  { name: "kws", dataset: "kws", model: "fsmn", deployable: false },
];

const TASKS: TaskDef[] = [];

/** Registers a task (after the built-in ones it is the last column). */
export function registerTask(task: TaskDef): TaskDef {
  if (TASKS.some((t) => t.name === task.name)) {
    throw new Error(`task "${task.name}" is already registered`);
  }
  TASKS.push(task);
  return task;
}

/** The registered tasks, in column order. */
export function taskDefs(): readonly TaskDef[] {
  return TASKS;
}
