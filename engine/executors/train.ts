/**
 * The "train" executor: the run kind of every track that trains a network and scores it on the
 * test split (task, arch, train). Registered by the composition root (app/plugins.ts).
 */
import { backendInfo } from "../tf.ts";
import { deriveSeed } from "../rng.ts";
import { type Dataset, loadDataset } from "../data/mod.ts";
import { buildModel, type Model } from "../nn/model.ts";
import { evaluate, predict, train, type TrainHooks } from "../nn/train.ts";
import { accuracyOf, requestedMetrics, scorePredictions } from "../nn/metrics.ts";
import { convergenceOf } from "../nn/convergence.ts";
import { UserError } from "../errors.ts";
import {
  datasetRecord,
  type RunEnv,
  type RunOutput,
  type RunResult,
  type RunSpec,
} from "../run.ts";
import { parentSpec } from "../init.ts";
import type { ParentLink } from "../bundle/schema.ts";
import { trainedWeights } from "./reuse.ts";

/**
 * The network of run `spec` for `data`, with its initial weights (seeded from the run's seed), as
 * `binarizer` (default: the run's) sees it.
 */
export function modelFor(spec: RunSpec, data: Dataset, binarizer = spec.binarizer): Model {
  return buildModel(spec.model, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    binarizer,
    seed: deriveSeed(spec.seed, "init"),
    width: spec.width,
  });
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
    dir: env.dataDir,
    seed: spec.seed,
    limit: spec.limit,
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  // fp32 initialisation (engine/init.ts): the parent's weights, from the store or trained again.
  const parentRun = parentSpec(spec);
  const parent = parentRun ? await trainedWeights(parentRun, env) : null;
  const model = modelFor(spec, data);
  try {
    let link: ParentLink | undefined;
    if (parentRun && parent) {
      const { copied, kept } = model.store.restoreMatching(parent.weights);
      if (copied === 0) throw new Error(`run ${spec.id}: no parameter of ${parentRun.id} fits`);
      link = {
        run: parentRun.id,
        ...(parent.bundle ? { id: parent.bundle.id } : {}),
        sha256: parent.sha256,
        bytes: parent.bytes,
        copied,
        kept,
      };
    }
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
      dataset: datasetRecord(data),
      timings: { loadSeconds, trainSeconds: trained.trainSeconds, evalSeconds },
      backend: backendInfo(),
      ...(link ? { parent: link } : {}),
      convergence: convergenceOf(trained.epochs, spec.train),
    };
    return { result, weights: model.store.snapshot() };
  } finally {
    model.store.dispose();
  }
}
