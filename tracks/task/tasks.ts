/**
 * The learning tasks: each a dataset (engine/data/mod.ts) and the model trained on it
 * (engine/nn/models/). The task track trains every registered task; robust and infer reuse the
 * task runs. The composition root (app/plugins.ts) registers each task, one `registerTask` line
 * per task (sizes per profile: tracks/task/track.ts `SIZES`, optional).
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
