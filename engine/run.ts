/**
 * One run: a fully specified (track, task, model, binarizer, seed, hyperparameters) cell of a grid,
 * and what executing it produced. `RunSpec` is all the input; the engine needs nothing else, so a
 * result can be reproduced from its spec alone.
 *
 * A spec's `kind` names the executor that runs it: "train" (train and test a network,
 * engine/executors/train.ts) and those of the tracks that measure something else (deployment
 * latency, operation counts, corrupted test sets), each declared by its track. The composition
 * root (app/plugins.ts) registers them all with `registerExecutor`; nothing registers itself.
 */
import type { Dataset, FileDigest } from "./data/mod.ts";
import type { GeneratedDigest } from "./data/generated.ts";
import type { EpochRecord, TrainHooks } from "./nn/train.ts";
import type { Convergence } from "./nn/convergence.ts";
import type { BundleConfig, FloatNative, ParentLink } from "./bundle/schema.ts";
import { UserError } from "./errors.ts";
import type { WeightSnapshot } from "./nn/params.ts";
import type { KernelRecord } from "./kernels/select.ts";

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
   * test metrics their spec asks for in options.metrics (engine/nn/metrics.ts); other
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
    /** Digests of samples the run generated rather than read (engine/data/generated.ts). */
    generated?: GeneratedDigest[];
  };
  /** Wall-clock seconds by phase; the only numbers that differ between identical runs. */
  timings: Record<string, number>;
  /**
   * Repeated measurements behind some timings, by name, in measurement order (e.g. paired
   * per-step times of a network and of fp32, paired latency ratios): what an interval is
   * resampled from. Measured, like timings; absent in bundles made before the field existed.
   */
  samples?: Record<string, number[]>;
  backend: { backend: string; tfjs: string; simd: boolean };
  /**
   * Seeds the executor derived beyond the engine's own (run, init, shuffle, splits), by purpose;
   * recorded in the bundle so it lists every seed a run used.
   */
  seeds?: Record<string, number>;
  /** The fp32 network a run with `init: "fp32"` started from (engine/init.ts). */
  parent?: ParentLink;
  /** How training ended (training runs; engine/nn/convergence.ts). */
  convergence?: Convergence;
  /** The binary kernels an inference run timed (infer track; engine/kernels/native.ts). */
  kernels?: KernelRecord;
  /** The infer track's native float engine: version, threads, export check (or why absent). */
  floatNative?: FloatNative;
}

export type { FloatNative };

/**
 * The dataset record of a result: what was read (name, source, file digests), how many samples
 * each split held (`test` when a run scored fewer test samples than the split has), and the
 * digests of generated samples: the dataset's own (point clouds) followed by `generated` (what
 * the executor made, e.g. corrupted test images).
 */
export function datasetRecord(
  data: Dataset,
  test = data.test.n,
  generated: GeneratedDigest[] = [],
): NonNullable<RunResult["dataset"]> {
  const all = [...(data.generated ?? []), ...generated];
  return {
    name: data.name,
    source: data.source,
    digests: data.digests,
    sizes: { train: data.train.n, val: data.val.n, test },
    ...(all.length ? { generated: all } : {}),
  };
}

/** What an executor returns: the result, and the trained weights when it trained a network. */
export interface RunOutput {
  result: RunResult;
  weights?: WeightSnapshot;
}

/** Runs one spec of its kind. */
export type Executor = (spec: RunSpec, env: RunEnv, hooks: TrainHooks) => Promise<RunOutput>;

const executors = new Map<string, Executor>();

/** Registers the executor for a run kind (the composition root calls this for every kind). */
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
