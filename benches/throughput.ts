/**
 * Training throughput of one CNN training step (forward, backward, optimizer update) on the
 * tfjs wasm backend vs the cpu backend, measured side by side in one run on the same model,
 * batch and data. Prints images/s for each and the ratio.
 *
 *   deno task bench:throughput [--model vgg-small] [--algo bnn] [--batch 64] [--steps 5] [--cpu-steps 1]
 */
import { parseArgs } from "node:util";
import { type BackendName, initBackend, tf } from "../engine/tf.ts";
import { buildModel } from "../engine/nn/model.ts";
import type { Ctx } from "../engine/nn/layers.ts";
import { makeOptimizer } from "../engine/nn/optim.ts";
import { Rng } from "../engine/rng.ts";
import "../engine/binarizers/mod.ts";
import { installPlugins } from "../app/plugins.ts";

installPlugins();

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "vgg-small" },
    algo: { type: "string", default: "bnn" },
    batch: { type: "string", default: "64" },
    steps: { type: "string", default: "5" },
    "cpu-steps": { type: "string", default: "1" },
  },
});
const batch = Number(values.batch);

/** Median seconds per training step after one warm-up step. */
async function stepSeconds(backend: BackendName, steps: number): Promise<number> {
  await initBackend(backend);
  const model = buildModel(values.model!, {
    inputShape: [28, 28, 1],
    numClasses: 10,
    binarizer: values.algo!,
    seed: 1,
  });
  const rng = new Rng(7);
  const xs = Float32Array.from({ length: batch * 784 }, () => rng.next());
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  const x = tf.tensor4d(xs, [batch, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
  const vars = model.store.trainable();
  const opt = makeOptimizer({
    optimizer: "adam",
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    schedule: "constant",
  });
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    const ctx: Ctx = { training: true, state: {}, bnUpdates: [] };
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, ctx)) as tf.Scalar,
      vars,
    );
    opt.step(vars, vars.map((v) => grads[v.name] ?? null), 1e-3, vars.map(() => false));
    for (const u of ctx.bnUpdates) {
      u.layer.update(u.mean, u.variance, u.count);
      tf.dispose([u.mean, u.variance]);
    }
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (i > 0) times.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  model.store.dispose();
  tf.dispose([x, y]);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// The cpu backend needs ~100x longer per step; its median is over fewer steps.
const wasm = await stepSeconds("wasm", Number(values.steps));
const cpu = await stepSeconds("cpu", Number(values["cpu-steps"]));
const row = (name: string, s: number) =>
  `${name.padEnd(6)} ${(s * 1000).toFixed(1).padStart(9)} ms/step ${
    (batch / s).toFixed(1).padStart(9)
  } images/s`;
console.log(
  `training step, ${values.model} / ${values.algo}, batch ${batch} (median after warm-up)`,
);
console.log(row("wasm", wasm));
console.log(row("cpu", cpu));
console.log(`wasm / cpu speed-up: ${(cpu / wasm).toFixed(1)}x`);
console.log(
  JSON.stringify({
    wasm_images_per_s: batch / wasm,
    cpu_images_per_s: batch / cpu,
    speedup: cpu / wasm,
  }),
);
