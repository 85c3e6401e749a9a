/**
 * One run: a fully specified (track, task, model, binarizer, seed, hyperparameters) cell of a grid,
 * and what executing it produced. `RunSpec` is all the input; the engine needs nothing else, so a
 * result can be reproduced from its spec alone.
 *
 * A spec's `kind` names the executor that runs it: "train" (train and test a network) is built
 * in; tracks that measure something else (deployment latency, operation counts, corrupted test
 * sets) register their own executor with `registerExecutor`.
 */
import { backendInfo } from "./tf.ts";
import { deriveSeed } from "./rng.ts";
import { type FileDigest, loadDataset } from "./data/mod.ts";
import { buildModel } from "./models.ts";
import { type EpochRecord, evaluate, predict, train, type TrainHooks } from "./train.ts";
import { accuracyOf, requestedMetrics, scorePredictions } from "./pred_metrics.ts";
import type { BundleConfig } from "./bundle/schema.ts";
import { UserError } from "./errors.ts";
import type { WeightSnapshot } from "./params.ts";

/**
 * Everything that determines a run. The type is derived from the result-bundle schema
 * (engine/bundle/schema.ts, `config`), where each field is documented: the shape is written once.
 */
export type RunSpec = BundleConfig;

/** Training hyperparameters of a run (the seed lives on the spec). */
export type TrainSettings = NonNullable<RunSpec["train"]>;

/** What a run produced. Timings are the only fields that differ between identical runs. */
export interface RunResult {
  spec: RunSpec;
  /**
   * Named numbers. "train" runs report testAccuracy, valAccuracy, finalTrainLoss, params, and the
   * test metrics their spec asks for in options.metrics (engine/pred_metrics.ts); other
   * executors document their own keys.
   */
  metrics: Record<string, number>;
  /** Per-epoch records of training runs ([] for runs that do not train). */
  curves: EpochRecord[];
  dataset?: {
    name: string;
    source: string;
    digests: FileDigest[];
    sizes: { train: number; val: number; test: number };
  };
  /** Wall-clock seconds by phase; the only numbers that differ between identical runs. */
  timings: Record<string, number>;
  backend: { backend: string; tfjs: string; simd: boolean };
  /**
   * Seeds the executor derived beyond the engine's own (run, init, shuffle, splits), by purpose;
   * recorded in the bundle so it lists every seed a run used.
   */
  seeds?: Record<string, number>;
}

/** What an executor returns: the result, and the trained weights when it trained a network. */
export interface RunOutput {
  result: RunResult;
  weights?: WeightSnapshot;
}

/** Runs one spec of its kind. */
export type Executor = (spec: RunSpec, env: RunEnv, hooks: TrainHooks) => Promise<RunOutput>;

const executors = new Map<string, Executor>();

/** Registers the executor for a run kind (tracks call this for their own kinds). */
export function registerExecutor(kind: string, executor: Executor): void {
  if (executors.has(kind)) throw new Error(`executor "${kind}" is already registered`);
  executors.set(kind, executor);
}

/** Runs a spec with the executor of its kind. */
export function executeRun(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<RunOutput> {
  const ex = executors.get(spec.kind);
  if (!ex) {
    throw new UserError(
      `no executor for run kind "${spec.kind}" (known: ${[...executors.keys()].join(", ")})`,
    );
  }
  return ex(spec, env, hooks);
}

/** Where datasets are read from (user options that are not part of a run's identity). */
export interface RunEnv {
  dataDir?: string;
  /** The grid's output directory (executors that reuse another run's saved weights read it). */
  out?: string;
}

/** Builds the run id from the fields that identify it within a track. */
export function runId(s: Pick<RunSpec, "track" | "task" | "model" | "binarizer" | "seed">): string {
  return `${s.track}/${s.task}/${s.model}/${s.binarizer}/seed${s.seed}`;
}

/** The "train" executor: loads data, builds and trains the model, scores it on the test split. */
export async function trainAndTest(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<RunOutput> {
  if (!spec.train) throw new UserError(`run ${spec.id} has no training settings`);
  // Extra test metrics (spec.options.metrics, e.g. ["f1"]): checked before any training.
  const extraMetrics = requestedMetrics(spec.options);
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
    // With extra metrics, one prediction pass gives accuracy (the same value) and the extras.
    const pred = extraMetrics.length === 0 ? null : predict(model, data.test, trained.state);
    const testAccuracy = pred
      ? accuracyOf(pred, data.test.y)
      : evaluate(model, data.test, trained.state);
    const extra = pred ? scorePredictions(extraMetrics, pred, data.test.y, data.numClasses) : {};
    const evalSeconds = (performance.now() - t1) / 1000;
    const last = trained.epochs[trained.epochs.length - 1];
    const result: RunResult = {
      spec,
      metrics: {
        testAccuracy,
        valAccuracy: last.valAccuracy,
        finalTrainLoss: last.trainLoss,
        params: model.store.count(),
        ...extra,
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
    return { result, weights: model.store.snapshot() };
  } finally {
    model.store.dispose();
  }
}

registerExecutor("train", trainAndTest);
