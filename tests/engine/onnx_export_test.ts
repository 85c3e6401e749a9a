/**
 * ONNX export (engine/deploy/onnx/): a trained fp32 network round-trips through onnxruntime and
 * predicts what tfjs predicts on real test images, logits within float32 summation error (1e-4 of
 * the largest |logit|: the engines sum in different orders); every full-precision architecture
 * with random BatchNorm statistics likewise; the single-op models the kernel bench times equal
 * tfjs's conv2d / matMul; binarized networks are refused; the bytes are deterministic; an engine
 * that cannot load is reported, not thrown.
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../engine/tf.ts";
import { buildModel, type Model } from "../../engine/nn/model.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { finalState, train } from "../../engine/nn/train.ts";
import { UserError } from "../../engine/errors.ts";
import { Rng } from "../../engine/rng.ts";
import {
  exportOnnx,
  onnxConvModel,
  onnxMatMulModel,
  toNCHW,
} from "../../engine/deploy/onnx/export.ts";
import { loadOrt, type OrtEngine, probeOrt } from "../../engine/deploy/onnx/ort.ts";
import { onnxCheck } from "../../tracks/infer/float_native.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();
await initBackend("wasm");

const data = await loadDataset("mnist", { seed: 0, limit: { train: 96, val: 32, test: 256 } });
const loaded = await loadOrt();
assert.ok(loaded.engine, `onnxruntime must load for these tests: ${loaded.reason}`);
const ort: OrtEngine = loaded.engine;

/** The documented tolerance: |logit diff| <= 1e-4 of the largest |logit|. */
const TOL = 1e-4;

function build(name: string, seed = 1): Model {
  return buildModel(name, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    binarizer: "fp32",
    seed,
    width: 1,
  });
}

Deno.test("trained fp32 cnn: onnxruntime (1 thread and 2) predicts tfjs's classes on every test image", () => {
  const model = build("cnn");
  try {
    train(model, data, {
      optimizer: "adam",
      lr: 2e-3,
      momentum: 0.9,
      weightDecay: 0,
      schedule: "cosine",
      epochs: 1,
      batchSize: 32,
      seed: 0,
    });
    const state = finalState("fp32", 1);
    const bytes = exportOnnx(model, { state });
    assert.deepEqual(exportOnnx(model, { state }), bytes, "same network, same bytes");
    for (const threads of [1, 2]) {
      const s = ort.session(bytes, threads);
      try {
        const c = onnxCheck(s, model, state, data.test);
        assert.equal(c.images, data.test.n);
        assert.equal(c.disagreements, 0, `${threads} threads: ${c.disagreements} differ`);
        assert.equal(c.agreement, 1);
        assert.ok(c.maxAbsLogit > 0.5, `a trained network's logits: ${c.maxAbsLogit}`);
        assert.ok(c.maxLogitDiff <= TOL * c.maxAbsLogit, `${threads}: ${c.maxLogitDiff}`);
      } finally {
        s.dispose();
      }
    }
  } finally {
    model.store.dispose();
  }
});

/** Random BatchNorm statistics (some negative slopes), as deploy_test does. */
function randomize(model: Model, seed: number): void {
  const rng = new Rng(seed);
  const u = (a: number, b: number) => a + (b - a) * rng.next();
  for (const [name, e] of model.store.entries) {
    let f: ((i: number) => number) | null = null;
    if (name.endsWith("/mean")) f = () => u(-0.5, 0.5);
    else if (name.endsWith("/var")) f = () => u(0.3, 2);
    else if (name.endsWith("/gamma")) f = (i) => (i % 5 === 3 ? -1 : 1) * u(0.3, 1.5);
    else if (name.endsWith("/beta")) f = () => u(-0.5, 0.5);
    if (!f) continue;
    const v = Float32Array.from({ length: e.variable.size }, (_, i) => f!(i));
    tf.tidy(() => e.variable.assign(tf.tensor(v, e.variable.shape)));
  }
}

Deno.test("every full-precision architecture, random BatchNorm: ONNX logits match tfjs", () => {
  const test = { x: data.test.x.subarray(0, 64 * 784), y: data.test.y.subarray(0, 64), n: 64 };
  for (const arch of ["mlp", "cnn", "vgg-small", "resnet20"]) {
    const model = build(arch, 7);
    try {
      randomize(model, 11);
      const s = ort.session(exportOnnx(model), 1);
      const c = onnxCheck(s, model, {}, test);
      s.dispose();
      assert.ok(c.agreement >= 63 / 64, `${arch}: agreement ${c.agreement}`);
      assert.ok(c.maxLogitDiff <= TOL * c.maxAbsLogit, `${arch}: ${c.maxLogitDiff}`);
    } finally {
      model.store.dispose();
    }
  }
});

Deno.test("binarized networks are refused with a UserError", () => {
  const model = buildModel("cnn", {
    inputShape: data.shape,
    numClasses: 10,
    binarizer: "bnn",
    seed: 1,
    width: 1,
  });
  try {
    assert.throws(() => exportOnnx(model, { state: finalState("bnn", 1) }), UserError);
  } finally {
    model.store.dispose();
  }
});

Deno.test("the bench's Conv (NCHW, OIHW, 3 input channels) and MatMul models equal tfjs's", () => {
  const rng = new Rng(3);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const [n, hw, c, o] = [2, 9, 3, 5];
  const x = rand(n * hw * hw * c), hwio = rand(9 * c * o);
  const oihw = new Float32Array(hwio.length);
  for (let t = 0; t < 9; t++) {
    for (let i = 0; i < c; i++) {
      for (let k = 0; k < o; k++) oihw[(k * c + i) * 9 + t] = hwio[(t * c + i) * o + k];
    }
  }
  const s = ort.session(onnxConvModel(n, hw, c, o, oihw), 1);
  const got = s.run(toNCHW(x, n, hw, hw, c), [n, c, hw, hw]);
  s.dispose();
  const want = tf.tidy(() =>
    tf.conv2d(tf.tensor4d(x, [n, hw, hw, c]), tf.tensor4d(hwio, [3, 3, c, o]), 1, "same")
      .transpose([0, 3, 1, 2]).dataSync()
  );
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `conv ${i}`);

  const [m, k, nn] = [4, 33, 7];
  const a = rand(m * k), b = rand(k * nn);
  const ms = ort.session(onnxMatMulModel(m, k, nn, b), 2);
  const prod = ms.run(a, [m, k]);
  ms.dispose();
  const ref = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, nn])).dataSync());
  for (let i = 0; i < prod.length; i++) assert.ok(Math.abs(prod[i] - ref[i]) < 1e-5, `matmul ${i}`);
});

Deno.test("an engine that cannot load is a reason, not an exception", async () => {
  Deno.env.set("BIBENCH_ONNXRUNTIME", "off");
  try {
    const r = await probeOrt();
    assert.equal(r.engine, undefined);
    assert.match(r.reason ?? "", /BIBENCH_ONNXRUNTIME=off/);
  } finally {
    Deno.env.delete("BIBENCH_ONNXRUNTIME");
  }
  assert.ok((await probeOrt()).engine, "loads again without the switch");
});
