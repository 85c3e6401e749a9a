/**
 * Tests of the sequence / set layers and the models of the spam, point-cloud and keyword-spotting
 * tasks: hand-written gradients against tfjs's, the padding mask, PointNet's permutation
 * invariance, which layers carry the binarizer, and tiny end-to-end runs through the engine
 * (F1 reported, bit-identical for the same seed, no leaked tensors).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, tf } from "../../../engine/tf.ts";
import { Rng } from "../../../engine/rng.ts";
import { ParamStore } from "../../../engine/nn/params.ts";
import { Conv2D, type Ctx, Dense, type Layer } from "../../../engine/nn/layers.ts";
import {
  Embedding,
  GlobalMaxPool1D,
  maskedMeanPool,
  MemoryBlock,
  PointwiseConv,
} from "../../../engine/nn/layers_seq.ts";
import { MultiHeadSelfAttention, paddingMask } from "../../../engine/nn/layers_transformer.ts";
import { buildModel } from "../../../engine/nn/model.ts";
import { TextTransformer, TRANSFORMER_VOCAB } from "../../../engine/nn/models/transformer.ts";
import { executeRun, type RunResult, type RunSpec } from "../../../engine/run.ts";
import { taskTrack } from "../../../tracks/task/track.ts";
import { taskDefs } from "../../../tracks/task/tasks.ts";
import { SPAM_VOCAB_SIZE } from "../../../engine/data/spam.ts";
import { loadKws } from "../../../engine/data/kws.ts";
import { train } from "../../../engine/nn/train.ts";
import { UserError } from "../../../engine/errors.ts";
import { installPlugins } from "../../../app/plugins.ts";
import { binarizerNames } from "../../../engine/binarizers/mod.ts";

installPlugins();

await initBackend("wasm");

const ctx = (training = false): Ctx => ({ training, state: {}, bnUpdates: [] });

Deno.test("embedding: forward gathers rows; the JS scatter-add gradient matches the dense one", () => {
  const store = new ParamStore();
  const emb = new Embedding("e", 7, 3, store, new Rng(1));
  const ids = tf.tensor2d([[1, 4, 4], [0, 6, 1]]);
  const w = tf.randomNormal([2, 3, 3], 0, 1, "float32", 5);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(emb.apply(ids), w)) as tf.Scalar,
    [emb.table],
  );
  const table = emb.table.arraySync() as number[][];
  const out = tf.tidy(() => emb.apply(ids)).arraySync() as number[][][];
  assert.deepEqual(out[0][1], table[4]);
  // Dense reference: one-hot(ids)^T w.
  const ref = tf.tidy(() =>
    tf.matMul(
      tf.oneHot(tf.tensor1d([1, 4, 4, 0, 6, 1], "int32"), 7),
      tf.reshape(w, [6, 3]),
      true,
      false,
    )
  );
  const g = grads[emb.table.name].dataSync();
  const r = ref.dataSync();
  g.forEach((v, i) => assert.ok(Math.abs(v - r[i]) < 1e-5, `grad[${i}] ${v} vs ${r[i]}`));
  assert.throws(() => emb.apply(tf.tensor2d([[7]])), UserError);
  tf.dispose([ids, w, value, ref, ...Object.values(grads)]);
  store.dispose();
});

Deno.test("matMul gradient (explicit transposes) matches the closed form, all transpose flags", () => {
  // loss = sum(op(A) op(B) * W): dA = W op(B)^T (transposed back when A is), dB = op(A)^T W.
  const [m, k, n] = [3, 5, 4];
  const rnd = (len: number, seed: number) => {
    const r = new Rng(seed);
    return Array.from({ length: len }, () => r.normal());
  };
  const at = (x: number[], cols: number, i: number, j: number) => x[i * cols + j];
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
    const A = rnd(m * k, 1), B = rnd(k * n, 2), W = rnd(m * n, 3);
    const opA = (i: number, p: number) => (ta ? at(A, m, p, i) : at(A, k, i, p));
    const opB = (p: number, j: number) => (tb ? at(B, k, j, p) : at(B, n, p, j));
    const a = tf.variable(tf.tensor2d(A, ta ? [k, m] : [m, k]));
    const b = tf.variable(tf.tensor2d(B, tb ? [n, k] : [k, n]));
    const w = tf.tensor2d(W, [m, n]);
    const g = tf.variableGrads(() => tf.sum(tf.mul(tf.matMul(a, b, ta, tb), w)) as tf.Scalar, [
      a,
      b,
    ]);
    const ga = g.grads[a.name].dataSync();
    const gb = g.grads[b.name].dataSync();
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        let want = 0;
        for (let j = 0; j < n; j++) want += at(W, n, i, j) * opB(p, j);
        const got = ta ? ga[p * m + i] : ga[i * k + p];
        assert.ok(Math.abs(got - want) < 1e-4, `dA ta=${ta} tb=${tb}`);
      }
    }
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        let want = 0;
        for (let i = 0; i < m; i++) want += opA(i, p) * at(W, n, i, j);
        const got = tb ? gb[j * k + p] : gb[p * n + j];
        assert.ok(Math.abs(got - want) < 1e-4, `dB ta=${ta} tb=${tb}`);
      }
    }
    tf.dispose([a, b, w, g.value, ...Object.values(g.grads)]);
  }
});

Deno.test("global max over points: value and gradient equal tf.max's", () => {
  const x = tf.variable(tf.randomNormal([2, 5, 3], 0, 1, "float32", 9));
  const wt = tf.randomNormal([2, 3], 0, 1, "float32", 4);
  const mine = tf.variableGrads(
    () => tf.sum(tf.mul(new GlobalMaxPool1D().apply(x), wt)) as tf.Scalar,
    [x],
  );
  const theirs = tf.variableGrads(() => tf.sum(tf.mul(tf.max(x, 1), wt)) as tf.Scalar, [x]);
  assert.equal(mine.value.dataSync()[0], theirs.value.dataSync()[0]);
  const [g, h] = [mine.grads[x.name].dataSync(), theirs.grads[x.name].dataSync()];
  g.forEach((v, i) => assert.ok(v === h[i], `grad[${i}] ${v} vs ${h[i]}`)); // -0 === 0
  tf.dispose([x, wt, mine.value, theirs.value, ...Object.values(mine.grads)]);
  tf.dispose(Object.values(theirs.grads));
});

Deno.test("attention: padded positions do not change the real tokens' outputs", () => {
  const store = new ParamStore();
  const att = new MultiHeadSelfAttention(
    { name: "a", dim: 8, heads: 2, binarizer: "fp32" },
    store,
    new Rng(3),
  );
  const ids = tf.tensor2d([[2, 9, 5, 0, 0]]);
  const a = tf.randomNormal([1, 5, 8], 0, 1, "float32", 1);
  // Same real tokens, different content at the two padded positions.
  const b = tf.concat([tf.slice(a, [0, 0, 0], [1, 3, 8]), tf.fill([1, 2, 8], 3)], 1);
  const mask = paddingMask(ids);
  const ya = att.attend(a, mask, ctx()).slice([0, 0, 0], [1, 3, 8]).dataSync();
  const yb = att.attend(b, mask, ctx()).slice([0, 0, 0], [1, 3, 8]).dataSync();
  ya.forEach((v, i) => assert.ok(Math.abs(v - yb[i]) < 1e-5));
  const pooled = maskedMeanPool(tf.tensor3d([[[1], [3], [100]]]), tf.tensor2d([[2, 7, 0]]));
  assert.deepEqual([...pooled.dataSync()], [2]);
  store.dispose();
});

Deno.test("memory block: a zero filter is the identity; shapes are kept", () => {
  const store = new ParamStore();
  const m = new MemoryBlock("m", 4, 2, store, new Rng(1));
  m.filter.assign(tf.zerosLike(m.filter));
  const x = tf.randomNormal([2, 6, 4]);
  assert.deepEqual(m.apply(x).dataSync(), x.dataSync());
  store.dispose();
});

/** Dense and convolution layers of a layer tree, with their path, in order. */
function weightLayers(root: Layer): { path: string; layer: Dense | Conv2D }[] {
  const out: { path: string; layer: Dense | Conv2D }[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string) => {
    if (!v || typeof v !== "object" || seen.has(v) || v instanceof tf.Tensor) return;
    seen.add(v);
    if (v instanceof Dense || v instanceof Conv2D) out.push({ path, layer: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else for (const [k, x] of Object.entries(v)) if (k !== "opts") walk(x, `${path}.${k}`);
  };
  walk(root, "");
  return out;
}

Deno.test("binarized layers: attention + MLP linears, middle per-point layers, FSMN projections", () => {
  // Per layer: c(onv) or d(ense) as binarizers see it, then B(inarized) or F(ull precision).
  const fp = (m: string, shape: number[], classes = 10) =>
    weightLayers(
      buildModel(m, { inputShape: shape, numClasses: classes, binarizer: "bnn", seed: 1 }).root,
    )
      .map((d) =>
        (d.layer.shape.kind === "conv" ? "c" : "d") + (d.layer.binarizer.binary ? "B" : "F")
      )
      .join("");
  // transformer: 2 blocks x (q, k, v, o, fc1, fc2) binarized; the head fp (embeddings, LN: no Dense).
  assert.equal(fp("transformer", [16], 2), "dB".repeat(12) + "dF");
  // pointnet: fp first per-point layer, 3 binarized per-point layers (kernel-1 convolutions, as
  // the reference's Conv1d), fp 2-layer dense head.
  assert.equal(fp("pointnet", [32, 2]), "cFcBcBcBdFdF");
  // fsmn: fp input layer, 3 blocks x (projection, expansion) binarized, fp head.
  assert.equal(fp("fsmn", [49, 40]), "dF" + "dB".repeat(6) + "dF");
  assert.equal(TRANSFORMER_VOCAB, SPAM_VOCAB_SIZE);
  const t = buildModel("transformer", {
    inputShape: [16],
    numClasses: 2,
    binarizer: "react",
    seed: 1,
  });
  assert.ok(t.root instanceof TextTransformer);
  assert.throws(
    () =>
      buildModel("pointnet", {
        inputShape: [28, 28, 1],
        numClasses: 10,
        binarizer: "fp32",
        seed: 1,
      }),
    /pointnet expects point clouds of shape \[N, d\]/,
  );
});

Deno.test("pointnet: permuting the points leaves the logits unchanged", () => {
  for (const b of ["fp32", "bnn"]) {
    const m = buildModel("pointnet", {
      inputShape: [16, 2],
      numClasses: 10,
      binarizer: b,
      seed: 2,
    });
    const x = tf.randomNormal([3, 16, 2], 0, 1, "float32", 8);
    const perm = tf.tensor1d(new Rng(4).permutation(16), "int32");
    const a = m.apply(x, ctx()).dataSync();
    const c = m.apply(tf.gather(x, perm, 1), ctx()).dataSync();
    a.forEach((v, i) => assert.ok(Math.abs(v - c[i]) < 1e-4, `${b}: ${v} vs ${c[i]}`));
    m.store.dispose();
  }
});

/** The binarized per-point layers of a pointnet built with `binarizer`. */
function binarizedPointLayers(binarizer: string, points = 16) {
  const m = buildModel("pointnet", { inputShape: [points, 2], numClasses: 10, binarizer, seed: 3 });
  const layers = weightLayers(m.root).map((d) => d.layer)
    .filter((l): l is PointwiseConv => l instanceof PointwiseConv && l.binarizer.binary);
  return { m, layers };
}

Deno.test("pointnet xnor: per-point layers scale as convolutions (mean |w| per output channel, uncentred; mean |x| per sample)", () => {
  const { m, layers } = binarizedPointLayers("xnor");
  assert.equal(layers.length, 3);
  for (const l of layers) assert.equal(l.shape.kind, "conv");
  const l = layers[0];
  const [cin, cout] = [l.pointOpts.inChannels, l.pointOpts.outChannels];
  // Offset each output channel's weights, so centring them (the dense formula) would change the
  // signs and the scale.
  l.kernel.assign(tf.tidy(() => tf.add(l.kernel, tf.linspace(-0.05, 0.05, cout))));
  const w = l.kernel.dataSync(); // [1, 1, cin, cout]
  const scale = Array.from({ length: cout }, (_, o) => {
    let s = 0;
    for (let i = 0; i < cin; i++) s += Math.abs(w[i * cout + o]);
    return s / cin;
  });
  const sgn = (v: number) => (v >= 0 ? 1 : -1);
  const wb = tf.tidy(() => l.binarizer.weights(l.kernel, l.extra, ctx(), l.shape).dataSync());
  w.forEach((v, j) => assert.ok(Math.abs(wb[j] - sgn(v) * scale[j % cout]) < 1e-6, `w_b[${j}]`));
  // The dense formula's centred weights give other values: the test tells the two apart.
  const centred = tf.tidy(() => {
    const k = tf.reshape(l.kernel, [cin, cout]);
    const v = tf.sub(k, tf.mean(k, 0, true));
    return tf.mul(tf.sign(v), tf.mean(tf.abs(v), 0, true)).dataSync();
  });
  assert.ok(centred.some((v, j) => Math.abs(v - wb[j]) > 1e-3));
  // The layer: y[b, n, o] = sum_i sign(x[b, n, i]) K_b * w_b[i, o], K_b = mean |x| over sample b's
  // points and channels.
  const [b, n] = [2, 16];
  const x = tf.randomNormal([b, n, cin], 0, 1, "float32", 11);
  const xs = x.dataSync();
  const y = tf.tidy(() => l.apply(x, ctx()).dataSync());
  for (let s = 0; s < b; s++) {
    let k = 0;
    for (let j = 0; j < n * cin; j++) k += Math.abs(xs[s * n * cin + j]);
    k /= n * cin;
    for (let p = 0; p < n; p++) {
      for (let o = 0; o < cout; o++) {
        let acc = 0;
        for (let i = 0; i < cin; i++) acc += sgn(xs[(s * n + p) * cin + i]) * k * wb[i * cout + o];
        const got = y[(s * n + p) * cout + o];
        assert.ok(Math.abs(got - acc) < 1e-3 * Math.max(1, Math.abs(acc)), `y ${got} vs ${acc}`);
      }
    }
  }
  m.store.dispose();
});

Deno.test("pointnet: every binarizer's convolution path trains the per-point layers", () => {
  const x = tf.randomNormal([3, 16, 2], 0, 1, "float32", 9);
  const labels = tf.oneHot(tf.tensor1d([1, 4, 7], "int32"), 10);
  // Schedule values where every extra is on (fda's noise term, recu's tau).
  const state = { n: 9, alpha: 0.05, tau: 0.9 };
  for (const name of binarizerNames()) {
    const { m, layers } = binarizedPointLayers(name);
    assert.equal(layers.length, name === "fp32" ? 0 : 3, name);
    const c: Ctx = { training: true, state, bnUpdates: [] };
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, m.apply(x, c)) as tf.Scalar,
      m.store.trainable(),
    );
    assert.ok(Number.isFinite(value.dataSync()[0]), name);
    for (const l of layers) {
      const g = grads[l.kernel.name].dataSync();
      assert.ok(g.every(Number.isFinite) && g.some((v) => v !== 0), `${name}: ${l.opts.name}`);
    }
    if (name === "xnorpp") {
      // Its spatial scale runs over the points, as the reference's Conv1d's per-position scale.
      assert.deepEqual(layers[0].extra.beta.shape, [16, 1, 1]);
    }
    tf.dispose([
      value,
      ...Object.values(grads),
      ...c.bnUpdates.flatMap((u) => [u.mean, u.variance]),
    ]);
    m.store.dispose();
  }
  tf.dispose([x, labels]);
});

/** A tiny run of one of the added tasks. */
function tiny(task: string, binarizer: string, seed = 0): RunSpec {
  const s = taskTrack.grid({ profile: "smoke", binarizers: [binarizer], seeds: seed + 1 })
    .find((x) => x.task === task && x.seed === seed)!;
  return { ...s, limit: { train: 64, val: 16, test: 64 }, train: { ...s.train!, epochs: 1 } };
}

const numbers = (r: RunResult) => ({
  metrics: r.metrics,
  curves: r.curves.map(({ seconds: _s, ...rest }) => rest),
  dataset: r.dataset,
});

Deno.test("spam and point-cloud runs: F1 reported, same seed bit-identical, no leaked tensors", async () => {
  assert.deepEqual(
    taskDefs().map((t) => t.name),
    ["mnist", "fashion", "spam", "pointcloud", "kws"],
  );
  const spam = tiny("spam", "react");
  assert.deepEqual(spam.options, { metrics: ["f1"] });
  const a = (await executeRun(spam)).result;
  const before = tf.memory().numTensors;
  const b = (await executeRun(spam)).result;
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(numbers(a), numbers(b));
  assert.ok(a.metrics.testF1 >= 0 && a.metrics.testF1 <= 1);
  assert.equal(a.dataset!.name, "spam");
  for (const bin of ["fp32", "fda"]) {
    const r = (await executeRun(tiny("pointcloud", bin))).result;
    assert.ok(r.metrics.testAccuracy >= 0 && r.metrics.testAccuracy <= 1);
    assert.equal(r.metrics.testF1, undefined);
  }
  const bad = { ...spam, options: { metrics: ["auc"] } };
  await assert.rejects(() => executeRun(bad), /unknown test metric "auc"/);
});

Deno.test("fsmn trains on a tiny espeak-ng keyword set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bibench_kws_model_" });
  try {
    const data = await loadKws({ seed: 0 }, {
      cacheDir: join(dir, "cache"),
      config: {
        accents: ["en"],
        variants: ["m1", "f1"],
        repeats: 2,
        speed: [150, 170],
        pitch: [40, 60],
        snrDb: [15, 25],
        seed: 3,
      },
    });
    for (const b of ["fp32", "recu"]) {
      const m = buildModel("fsmn", {
        inputShape: data.shape,
        numClasses: data.numClasses,
        binarizer: b,
        seed: 1,
      });
      const r = train(m, data, {
        optimizer: "adam",
        lr: 1e-3,
        momentum: 0.9,
        weightDecay: 0,
        schedule: "cosine",
        epochs: 2,
        batchSize: 8,
        seed: 0,
      });
      assert.equal(r.epochs.length, 2);
      assert.ok(r.epochs.every((e) => Number.isFinite(e.trainLoss)), b);
      m.store.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
