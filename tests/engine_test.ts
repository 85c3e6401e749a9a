/**
 * End-to-end engine behaviour on tiny real runs: bit-identical results for the same seed, and a
 * binarizer registered from outside the engine (this file) trains with no engine change.
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../engine/tf.ts";
import { executeRun, type RunResult, type RunSpec } from "../engine/run.ts";
import { registerBinarizer } from "../engine/binarizers/mod.ts";
import { clipSte, sign, withGradient } from "../engine/binarizers/ops.ts";
import { taskTrack } from "../tracks/task.ts";

await initBackend("wasm");

function tinySpec(binarizer: string, seed = 0, model = "vgg-small"): RunSpec {
  return {
    id: `test/mnist/${model}/${binarizer}/seed${seed}`,
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
    const a = await executeRun(tinySpec(b, 3));
    const c = await executeRun(tinySpec(b, 3));
    assert.deepEqual(numbers(a), numbers(c), `${b} is not deterministic`);
    const d = await executeRun(tinySpec(b, 4));
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
  registerBinarizer({
    name: "toy-deadzone",
    summary: "test-only: sign(x) outside |x| < 0.1, 0 inside",
    binary: true,
    deploy: {
      weightScale: false,
      runtimeActivationScale: false,
      channelOutputScale: false,
      spatialOutputScale: false,
      inputThreshold: false,
    },
    weights: (w) => withGradient(w, sign, clipSte),
    activations: (x) =>
      withGradient(
        x,
        (v) => tf.mul(sign(v), tf.cast(tf.greater(tf.abs(v), 0.1), "float32")),
        clipSte,
      ),
  });
  const specs = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "toy-deadzone"], seeds: 1 })
    .filter((s) => s.task === "mnist")
    .map((s) => ({ ...s, limit: { train: 64, val: 32, test: 64 } }));
  assert.equal(specs.length, 2);
  const results = [];
  for (const s of specs) results.push(await executeRun(s));
  const table = taskTrack.summarize(results);
  assert.deepEqual(table.rows.map((r) => r.binarizer), ["fp32", "toy-deadzone"]);
  const toy = table.rows[1].cells[0]!;
  assert.ok(toy.mean >= 0 && toy.mean <= 1 && Number.isFinite(toy.ratio));
  assert.ok(Number.isFinite(table.rows[1].om));
});
