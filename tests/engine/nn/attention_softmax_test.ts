/**
 * The attention's softmax (engine/tfjs/softmax_drop.ts, used by engine/nn/layers_transformer.ts):
 * tfjs's softmax with probabilities below 2^-100 set to 0, its gradient the documented float64
 * formula's bits with entries below 2^-100 set to 0 (and softmax's gradient within rounding); and
 * the reason it exists: a binarized ViT's training step then feeds (almost) no subnormal floats to
 * its matrix products, where tf.softmax fed thousands (each a slow microcode assist on Intel CPUs;
 * the speed itself is measured by `deno task bench:throughput`).
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../../engine/tf.ts";
import { NEGLIGIBLE, softmaxDropNegligible } from "../../../engine/tfjs/softmax_drop.ts";
import { buildModel } from "../../../engine/nn/model.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();
await initBackend("wasm");

const MIN_NORMAL = 2 ** -126;

/** Peaked scores, as binarized Q K^T gives: integers up to ±64, some rows with huge gaps. */
function scores(): tf.Tensor {
  const v = Float32Array.from({ length: 4 * 16 }, (_, i) => ((i * 37) % 129) - 64);
  v[5] = 90; // a row whose other entries fall far below 2^-100 after softmax
  // A row with probabilities just above 2^-100 (e^-67 ~ 8e-30) whose gradient entries fall below.
  v.set([64, -3, -3.5, -4], 32);
  return tf.tensor(v, [4, 16]);
}

Deno.test("softmaxDropNegligible: softmax's values, below 2^-100 exactly 0", () => {
  const s = scores();
  const ours = softmaxDropNegligible(s).dataSync(), stock = tf.softmax(s).dataSync();
  let dropped = 0;
  for (let i = 0; i < ours.length; i++) {
    if (stock[i] < NEGLIGIBLE) {
      assert.equal(ours[i], 0, `p[${i}] = ${stock[i]} is kept`);
      if (stock[i] > 0) dropped++;
    } else assert.equal(ours[i], stock[i]);
  }
  assert.ok(dropped > 0, "the case drops no probability: it tests nothing");
  s.dispose();
});

Deno.test("softmaxDropNegligible: gradient y (dy - sum(y dy)) in float64 rounded once, below 2^-100 exactly 0; softmax's gradient within rounding", () => {
  const s = scores();
  const dy = tf.tensor(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 1e-3), [4, 16]);
  const ds = tf.grad((x) => tf.sum(tf.mul(softmaxDropNegligible(x), dy)))(s).dataSync();
  const stock = tf.grad((x) => tf.sum(tf.mul(tf.softmax(x), dy)))(s).dataSync();
  const y = softmaxDropNegligible(s).dataSync(), d = dy.dataSync();
  let dropped = 0;
  for (let r = 0; r < 4; r++) {
    let sum = 0, sumAbs = 0;
    for (let j = 0; j < 16; j++) sum += y[r * 16 + j] * d[r * 16 + j];
    for (let j = 0; j < 16; j++) sumAbs += Math.abs(y[r * 16 + j] * d[r * 16 + j]);
    for (let j = 0; j < 16; j++) {
      const i = r * 16 + j;
      const v = y[i] * (d[i] - sum);
      if (Math.abs(v) < NEGLIGIBLE) {
        assert.ok(ds[i] === 0, `ds[${i}] = ${ds[i]} is kept (exact ${v})`);
        if (v !== 0) dropped++;
      } else {
        assert.equal(ds[i], Math.fround(v), `ds[${i}]`);
        // tfjs's float32 ops round each step: a few ulps of the row's |dy| and sum(|y dy|)
        const tol = 8 * 2 ** -24 * (Math.abs(d[i]) + sumAbs);
        assert.ok(Math.abs(ds[i] - stock[i]) <= tol, `ds[${i}] ${ds[i]} vs softmax ${stock[i]}`);
      }
    }
  }
  assert.ok(dropped > 0, "the case drops no gradient entry: it tests nothing");
  tf.dispose([s, dy]);
});

/** Subnormal operands of BatchMatMul during `f` (every call's a and b). */
function subnormalOperands(f: () => void): number {
  // deno-lint-ignore no-explicit-any
  const kernel = tf.getKernel("BatchMatMul", "wasm") as any;
  const original = kernel.kernelFunc;
  let count = 0;
  // deno-lint-ignore no-explicit-any
  kernel.kernelFunc = (args: any) => {
    for (const t of [args.inputs.a, args.inputs.b]) {
      const v = args.backend.readSync(t.dataId) as Float32Array;
      for (let i = 0; i < v.length; i++) if (v[i] !== 0 && Math.abs(v[i]) < MIN_NORMAL) count++;
    }
    return original(args);
  };
  try {
    f();
  } finally {
    kernel.kernelFunc = original;
  }
  return count;
}

Deno.test("a ViT / bnn training step feeds its matrix products (almost) no subnormal floats", () => {
  const model = buildModel("vit", {
    inputShape: [28, 28, 1],
    numClasses: 10,
    binarizer: "bnn",
    seed: 1,
  });
  const x = tf.randomUniform([64, 28, 28, 1], 0, 1, "float32", 7);
  const y = tf.oneHot(tf.zeros([64], "int32"), 10);
  const vars = model.store.trainable();
  const step = () => {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(
          y,
          model.apply(x, { training: true, state: {}, bnUpdates: [] }),
        ) as tf.Scalar,
      vars,
    );
    tf.dispose([value, ...Object.values(grads)]);
  };
  // With tf.softmax in the attention: ~26,000-35,000 (measured on this step).
  const count = subnormalOperands(step);
  assert.ok(count < 200, `${count} subnormal operands in one step`);
  tf.dispose([x, y]);
  model.store.dispose();
});
