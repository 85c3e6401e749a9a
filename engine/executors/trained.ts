/**
 * A task run's trained network, for the executors that evaluate it again (robustness to
 * corruptions, deployed inference): reused from the result store when the task run's bundle and
 * weights there are intact, trained again otherwise (training is deterministic: the same weights),
 * then the evaluating run's data loaded and the network built and restored.
 */
import { type Dataset, loadDataset } from "../data/mod.ts";
import type { Model } from "../nn/model.ts";
import { modelFor } from "./train.ts";
import type { TrainHooks } from "../nn/train.ts";
import type { WeightSnapshot } from "../nn/params.ts";
import type { RunEnv, RunSpec } from "../run.ts";
import { trainedWeights } from "./reuse.ts";

/** What {@link loadTrainedModel} returns; the caller disposes `model.store`. */
export interface TrainedModel {
  model: Model;
  data: Dataset;
  weights: WeightSnapshot;
  /** The task run's test accuracy (recorded in its bundle, or measured when retrained). */
  taskTestAccuracy?: number;
  /** True when the weights came from the store, false when the task run was trained again. */
  reused: boolean;
  /** Seconds spent getting the weights (reading them, or retraining). */
  weightsSeconds: number;
  /** Epochs the task run trained (train.ts `finalState` needs it after a plateau stop). */
  epochsRun: number;
}

/**
 * The trained network of task run `taskSpec`, restored into a model built for run `spec` (same
 * model, binarizer, seed and width), with `spec`'s data.
 */
export async function loadTrainedModel(
  spec: RunSpec,
  taskSpec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<TrainedModel> {
  const t0 = performance.now();
  const got = await trainedWeights(taskSpec, env, hooks);
  const { weights, testAccuracy: taskTestAccuracy, epochsRun } = got;
  const weightsSeconds = (performance.now() - t0) / 1000;
  const data = await loadDataset(spec.dataset, {
    dir: env.dataDir,
    seed: spec.seed,
    limit: spec.limit,
  });
  const model = modelFor(spec, data);
  try {
    model.store.restore(weights);
  } catch (e) {
    model.store.dispose();
    throw e;
  }
  return {
    model,
    data,
    weights,
    taskTestAccuracy,
    reused: got.bundle !== null,
    weightsSeconds,
    epochsRun,
  };
}
