/**
 * Logits of a split, in batches of 256: from the tfjs-simulated network (evaluation mode) and from
 * a deployed model. What the infer track compares the deployment and the ONNX export against.
 */
import { tf } from "../../engine/tf.ts";
import type { Split } from "../../engine/data/mod.ts";
import type { Model } from "../../engine/nn/model.ts";
import type { Ctx } from "../../engine/nn/layers.ts";
import type { DeployRuntime } from "../../engine/deploy/runtime.ts";

/** Logits of the tfjs-simulated network (evaluation mode) for a split, in batches. */
export function tfjsLogits(
  model: Model,
  split: Split,
  state: Record<string, number>,
): Float32Array {
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(split.n * model.numClasses);
  for (let from = 0; from < split.n; from += 256) {
    const n = Math.min(256, split.n - from);
    const ctx: Ctx = { training: false, state, bnUpdates: [] };
    const logits = tf.tidy(() =>
      model.apply(
        tf.tensor(split.x.subarray(from * per, (from + n) * per), [n, ...model.inputShape]),
        ctx,
      )
    );
    out.set(logits.dataSync(), from * model.numClasses);
    logits.dispose();
  }
  return out;
}

/** Logits of a deployed model for a split, in batches. */
export function deployedLogits(rt: DeployRuntime, split: Split): Float32Array {
  const per = rt.header.inputShape.reduce((a, b) => a * b, 1);
  const k = rt.header.numClasses;
  const out = new Float32Array(split.n * k);
  for (let from = 0; from < split.n; from += 256) {
    const n = Math.min(256, split.n - from);
    out.set(rt.run(split.x.subarray(from * per, (from + n) * per), n), from * k);
  }
  return out;
}
