/**
 * End-to-end engine behaviour on tiny real runs: bit-identical results for the same seed, and a
 * binarizer registered from outside the engine (this file) trains with no engine change.
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../../engine/tf.ts";
import { executeRun, type RunResult, type RunSpec } from "../../../engine/run.ts";
import { defineBinarizer, registerBinarizer } from "../../../engine/binarizers/mod.ts";
import { clipSte, sign, withGradient } from "../../../engine/binarizers/ops.ts";
import { taskTrack } from "../../../tracks/task/track.ts";
import { decodeWeights, encodeWeights } from "../../../engine/nn/weights.ts";
import { buildModel } from "../../../engine/nn/model.ts";
import { deriveSeed } from "../../../engine/rng.ts";
import { loadDataset } from "../../../engine/data/mod.ts";
import { evaluate, finalState } from "../../../engine/nn/train.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();

await initBackend("wasm");

function tinySpec(binarizer: string, seed = 0, model = "vgg-small"): RunSpec {
  return {
    id: `test/mnist/${model}/${binarizer}/seed${seed}`,
    kind: "train",
    track: "test",
    task: "mnist",
    dataset: "mnist",
    model,
    width: 0.5,
    binarizer,
    seed,
    profile: "smoke",
    train: {
      optimizer: "adam",
      lr: 1e-3,
      momentum: 0.9,
      weightDecay: 1e-4,
      schedule: "cosine",
      epochs: 2,
      batchSize: 32,
    },
    limit: { train: 96, val: 32, test: 64 },
  };
}

/** Everything but wall-clock timings. */
function numbers(r: RunResult) {
  return {
    metrics: r.metrics,
    curves: r.curves.map(({ seconds: _s, ...rest }) => rest),
    dataset: r.dataset,
  };
}

Deno.test("the same seed gives bit-identical metrics and curves; another seed differs", async () => {
  for (const b of ["fp32", "react", "fda"]) {
    const { result: a } = await executeRun(tinySpec(b, 3));
    const { result: c } = await executeRun(tinySpec(b, 3));
    assert.deepEqual(numbers(a), numbers(c), `${b} is not deterministic`);
    const { result: d } = await executeRun(tinySpec(b, 4));
    assert.notDeepEqual(numbers(a).curves, numbers(d).curves, `${b}: seed has no effect`);
  }
});

Deno.test("no tensors leak across runs", async () => {
  await executeRun(tinySpec("xnorpp", 0, "resnet20"));
  const before = tf.memory().numTensors;
  await executeRun(tinySpec("recu", 0, "resnet20"));
  await executeRun(tinySpec("xnor", 0, "mlp"));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a toy binarizer registered here runs through the engine unchanged", async () => {
  // Ternary-ish toy: sign with a dead zone, clipped STE; weights plain sign.
  // No deploy flags: they default to false.
  registerBinarizer(defineBinarizer({
    name: "toy-deadzone",
    summary: "test-only: sign(x) outside |x| < 0.1, 0 inside",
    binary: true,
    weights: (w) => withGradient(w, sign, clipSte),
    activations: (x) =>
      withGradient(
        x,
        (v) => tf.mul(sign(v), tf.cast(tf.greater(tf.abs(v), 0.1), "float32")),
        clipSte,
      ),
  }));
  const specs = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "toy-deadzone"], seeds: 1 })
    .filter((s) => s.task === "mnist")
    .map((s) => ({ ...s, limit: { train: 64, val: 32, test: 64 } }));
  assert.equal(specs.length, 2);
  const results = [];
  for (const s of specs) results.push((await executeRun(s)).result);
  const table = taskTrack.summarize(results);
  assert.deepEqual(table.rows.map((r) => r.binarizer), ["fp32", "toy-deadzone"]);
  const toy = table.rows[1].cells[0]!;
  assert.ok(toy.mean >= 0 && toy.mean <= 1 && Number.isFinite(toy.ratio));
  assert.ok(Number.isFinite(table.rows[1].om));
});

Deno.test("saved weights round-trip and reproduce the run's test accuracy without retraining", async () => {
  for (const b of ["recu", "xnorpp"]) {
    const spec = tinySpec(b, 5);
    const { result, weights } = await executeRun(spec);
    const bytes = encodeWeights(weights!);
    const back = decodeWeights(bytes);
    assert.deepEqual(Object.keys(back), Object.keys(weights!));
    const data = await loadDataset("mnist", { seed: spec.seed, limit: spec.limit });
    const model = buildModel(spec.model, {
      inputShape: data.shape,
      numClasses: data.numClasses,
      binarizer: b,
      seed: deriveSeed(99, "other init"),
      width: spec.width,
    });
    model.store.restore(back);
    const acc = evaluate(model, data.test, finalState(b, spec.train!.epochs));
    model.store.dispose();
    assert.equal(acc, result.metrics.testAccuracy);
  }
  assert.throws(
    () => decodeWeights(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), "w.bin"),
    /corrupt weights file w.bin: bad magic/,
  );
});
