/**
 * A finished run's trained weights, for the runs that build on them (an fp32-initialised run on
 * its fp32 parent, robustness and inference on a task run): read from the result store when the
 * run's bundle and weights there are intact, trained again otherwise (training is deterministic:
 * the same weights).
 */
import { executeRun, type RunEnv, type RunSpec } from "../run.ts";
import type { TrainHooks } from "../nn/train.ts";
import type { WeightSnapshot } from "../nn/params.ts";
import { encodeWeights } from "../nn/weights.ts";
import { sha256Hex } from "../data/digest.ts";
import { readSavedWeights } from "../store/results.ts";
import type { Bundle } from "../bundle/schema.ts";

/** What {@link trainedWeights} returns. */
export interface TrainedWeights {
  weights: WeightSnapshot;
  /** The run's bundle when the weights came from the store; null when it was trained again. */
  bundle: Bundle | null;
  /** The run's test accuracy (recorded in its bundle, or measured when retrained). */
  testAccuracy?: number;
  /** SHA-256 and size of the weights file (recorded, or of the encoded retrained weights). */
  sha256: string;
  bytes: number;
  /** Epochs the run trained (fewer than configured when its plateau rule stopped it). */
  epochsRun: number;
}

/** The trained weights of run `spec`: from the store (`env.out`) or trained again. */
export async function trainedWeights(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<TrainedWeights> {
  const saved = env.out ? await readSavedWeights(env.out, spec).catch(() => null) : null;
  if (saved) {
    const { weights, bundle } = saved;
    const w = bundle.results.weights!;
    return {
      weights,
      bundle,
      testAccuracy: bundle.results.metrics.testAccuracy,
      sha256: w.sha256,
      bytes: w.bytes,
      epochsRun: bundle.results.curves.length,
    };
  }
  // Not there (run alone, another shard, or not finished yet): train it again.
  const trained = await executeRun(spec, env, hooks);
  if (!trained.weights) throw new Error(`run ${spec.id} returned no weights`);
  const encoded = encodeWeights(trained.weights);
  return {
    weights: trained.weights,
    bundle: null,
    testAccuracy: trained.result.metrics.testAccuracy,
    sha256: await sha256Hex(encoded),
    bytes: encoded.length,
    epochsRun: trained.result.curves.length,
  };
}
