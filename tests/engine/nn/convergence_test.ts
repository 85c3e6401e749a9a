/**
 * The plateau rule and the converged flag (engine/nn/convergence.ts): on fixed accuracy sequences,
 * then in the training loop on real MNIST digits (the rule stops on a plateau, never runs past the
 * cap, and gives the same epochs and numbers twice), and in the bundle the verifier checks.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../../engine/tf.ts";
import {
  convergenceOf,
  expectedEpochs,
  lastQuarterGain,
  type PlateauRule,
  plateauStops,
} from "../../../engine/nn/convergence.ts";
import { executeRun, type RunResult, type RunSpec } from "../../../engine/run.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();
await initBackend("wasm");

const RULE: PlateauRule = { patience: 2, minDelta: 0.002, minEpochs: 3 };

Deno.test("plateau rule: stops after `patience` epochs without a gain of minDelta", () => {
  // Improves to 0.80, then 0.801 and 0.8015 are within 0.2 pp of it: two epochs without a gain.
  assert.equal(plateauStops([0.5, 0.7, 0.8], RULE), false);
  assert.equal(plateauStops([0.5, 0.7, 0.8, 0.801], RULE), false);
  assert.equal(plateauStops([0.5, 0.7, 0.8, 0.801, 0.8015], RULE), true);
  // A gain of more than minDelta resets the count.
  assert.equal(plateauStops([0.5, 0.7, 0.8, 0.801, 0.81], RULE), false);
  // Falling accuracy is no improvement either.
  assert.equal(plateauStops([0.8, 0.7, 0.6], RULE), true);
  // Never before minEpochs, and never on a missing validation accuracy.
  assert.equal(plateauStops([0.8, 0.7], { ...RULE, patience: 1 }), false);
  assert.equal(plateauStops([NaN, NaN, NaN, NaN], RULE), false);
  // The first epoch at which the rule stops, or the cap.
  assert.equal(
    expectedEpochs([0.5, 0.7, 0.8, 0.801, 0.8015, 0.9], { epochs: 10, plateau: RULE }),
    5,
  );
  assert.equal(expectedEpochs([0.5, 0.6, 0.7, 0.8], { epochs: 4, plateau: RULE }), 4);
  assert.equal(expectedEpochs([0.5, 0.5, 0.5], { epochs: 3 }), 3);
});

Deno.test("converged: the gain over the last quarter of the epochs is below 0.5 pp", () => {
  // 8 epochs: the last 2 best 0.853 against 0.850 before them: +0.3 pp, converged.
  const flat = [0.6, 0.7, 0.8, 0.84, 0.85, 0.849, 0.853, 0.852];
  assert.ok(Math.abs(lastQuarterGain(flat) - 0.003) < 1e-12);
  const c = convergenceOf(flat.map((valAccuracy) => ({ valAccuracy })), { epochs: 8 });
  assert.equal(c.converged, true);
  assert.equal(c.stop, "epochs");
  assert.equal(c.epochsRun, 8);
  // Still climbing: +1 pp over the last quarter.
  const climbing = [0.6, 0.7, 0.8, 0.84, 0.85, 0.849, 0.86, 0.855];
  assert.equal(
    convergenceOf(climbing.map((valAccuracy) => ({ valAccuracy })), { epochs: 8 }).converged,
    false,
  );
  // One epoch tells nothing: not converged, no gain recorded.
  const one = convergenceOf([{ valAccuracy: 0.9 }], { epochs: 1 });
  assert.deepEqual(one, { epochsRun: 1, stop: "epochs", converged: false });
  // Stop reasons under a rule.
  const curve = (xs: number[]) => xs.map((valAccuracy) => ({ valAccuracy }));
  assert.equal(
    convergenceOf(curve([0.5, 0.7, 0.8, 0.8, 0.8]), { epochs: 9, plateau: RULE }).stop,
    "plateau",
  );
  assert.equal(convergenceOf(curve([0.5, 0.6, 0.7]), { epochs: 3, plateau: RULE }).stop, "cap");
});

function spec(plateau: PlateauRule | undefined, epochs: number): RunSpec {
  const base = { track: "test", task: "mnist", model: "mlp", binarizer: "fp32", seed: 4 };
  return {
    id: "test/mnist/mlp/fp32/seed4",
    kind: "train",
    ...base,
    dataset: "mnist",
    width: 0.5,
    profile: "smoke",
    train: {
      optimizer: "adam",
      lr: 1e-3,
      momentum: 0.9,
      weightDecay: 0,
      schedule: "cosine",
      epochs,
      batchSize: 32,
      ...(plateau ? { plateau } : {}),
    },
    limit: { train: 128, val: 64, test: 64 },
  };
}

const numbers = (r: RunResult) => ({
  metrics: r.metrics,
  curves: r.curves.map(({ seconds: _s, ...c }) => c),
  convergence: r.convergence,
});

Deno.test("training loop: the rule stops on a plateau, respects the cap, and is deterministic", async () => {
  // A gain of 100 pp never happens: the rule stops as soon as it may (minEpochs, then patience).
  const never = { patience: 1, minDelta: 1, minEpochs: 3 };
  const { result: stopped } = await executeRun(spec(never, 20));
  assert.equal(stopped.curves.length, 3);
  assert.equal(stopped.convergence?.stop, "plateau");
  assert.equal(stopped.convergence?.epochsRun, 3);
  // The learning rate followed the cosine over the cap (20 epochs), not over the 3 run.
  assert.ok(stopped.curves[2].lr > 0.9e-3, `lr ${stopped.curves[2].lr}`);
  // Same seed, same rule: the same epochs and numbers.
  const { result: again } = await executeRun(spec(never, 20));
  assert.deepEqual(numbers(again), numbers(stopped));
  // A rule that cannot fire runs to the cap.
  const { result: capped } = await executeRun(spec({ patience: 50, minDelta: 0, minEpochs: 1 }, 4));
  assert.equal(capped.curves.length, 4);
  assert.equal(capped.convergence?.stop, "cap");
  // Without a rule: the configured epochs, as before the rule existed (same curves as the cap run
  // of the same length: the rule changes nothing until it fires).
  const { result: fixed } = await executeRun(spec(undefined, 4));
  assert.equal(fixed.convergence?.stop, "epochs");
  assert.deepEqual(numbers(fixed).curves, numbers(capped).curves);
  assert.deepEqual(numbers(fixed).metrics, numbers(capped).metrics);
});
