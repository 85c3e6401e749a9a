/**
 * One run: a fully specified (track, task, model, binarizer, seed, hyperparameters) cell of a grid,
 * and what executing it produced. `RunSpec` is all the input; the engine needs nothing else, so a
 * result can be reproduced from its spec alone.
 */
import { backendInfo } from "./tf.ts";
import { deriveSeed } from "./rng.ts";
import { type FileDigest, loadDataset } from "./data/mod.ts";
import { buildModel } from "./models.ts";
import { type EpochRecord, evaluate, train, type TrainHooks } from "./train.ts";
import type { OptimConfig } from "./optim.ts";

/** Training hyperparameters of a run (the seed lives on the spec). */
export interface TrainSettings extends OptimConfig {
  epochs: number;
  batchSize: number;
}

/** Everything that determines a run. */
export interface RunSpec {
  /** Unique within a grid, path-like: "task/mnist/vgg-small/bnn/seed0". */
  id: string;
  track: string;
  /** Task name within the track (e.g. "mnist"). */
  task: string;
  dataset: string;
  model: string;
  /** Channel multiplier of the model (1 = documented width). */
  width: number;
  binarizer: string;
  seed: number;
  profile: string;
  train: TrainSettings;
  /** Sample limits per split (small profiles); absent = the whole split. */
  limit?: { train?: number; val?: number; test?: number };
}

/** What a run produced. Timings are the only fields that differ between identical runs. */
export interface RunResult {
  spec: RunSpec;
  metrics: {
    testAccuracy: number;
    valAccuracy: number;
    finalTrainLoss: number;
    params: number;
  };
  curves: EpochRecord[];
  dataset: {
    name: string;
    source: string;
    digests: FileDigest[];
    sizes: { train: number; val: number; test: number };
  };
  timings: { loadSeconds: number; trainSeconds: number; evalSeconds: number };
  backend: { backend: string; tfjs: string; simd: boolean };
}

/** Where datasets are read from (user options that are not part of a run's identity). */
export interface RunEnv {
  dataDir?: string;
}

/** Builds the run id from the fields that identify it within a track. */
export function runId(s: Pick<RunSpec, "track" | "task" | "model" | "binarizer" | "seed">): string {
  return `${s.track}/${s.task}/${s.model}/${s.binarizer}/seed${s.seed}`;
}

/** Loads data, builds and trains the model, and scores it on the test split. */
export async function executeRun(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const data = await loadDataset(spec.dataset, {
    dir: spec.dataset === "mnist" ? undefined : env.dataDir,
    seed: spec.seed,
    limit: spec.limit,
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  const model = buildModel(spec.model, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    binarizer: spec.binarizer,
    seed: deriveSeed(spec.seed, "init"),
    width: spec.width,
  });
  try {
    const trained = train(model, data, { ...spec.train, seed: spec.seed }, hooks);
    const t1 = performance.now();
    const testAccuracy = evaluate(model, data.test, trained.state);
    const evalSeconds = (performance.now() - t1) / 1000;
    const last = trained.epochs[trained.epochs.length - 1];
    return {
      spec,
      metrics: {
        testAccuracy,
        valAccuracy: last.valAccuracy,
        finalTrainLoss: last.trainLoss,
        params: model.store.count(),
      },
      curves: trained.epochs,
      dataset: {
        name: data.name,
        source: data.source,
        digests: data.digests,
        sizes: { train: data.train.n, val: data.val.n, test: data.test.n },
      },
      timings: { loadSeconds, trainSeconds: trained.trainSeconds, evalSeconds },
      backend: backendInfo(),
    };
  } finally {
    model.store.dispose();
  }
}
