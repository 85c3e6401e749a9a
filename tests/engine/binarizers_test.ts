/**
 * Pins every binarizer's forward values and gradients on small hand-computed tensors, including
 * x = 0 (sign(0) = +1), |x| = 1 (the edge of the clipped STE) and |x| > 1 (no gradient).
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../engine/tf.ts";
import { binarizerNames, getBinarizer } from "../../engine/binarizers/mod.ts";
import { binarizerCurves } from "../../engine/binarizers/curves.ts";
import type { BinarizerContext, LayerShape, Params } from "../../engine/binarizers/mod.ts";
import { recuTau } from "../../engine/binarizers/recu.ts";
import { fdaSchedule } from "../../engine/binarizers/fda.ts";
import { Rng } from "../../engine/rng.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

await initBackend("wasm");

const X = [-2, -1, -0.5, 0, 0.5, 1, 2];
const SIGN = [-1, -1, -1, 1, 1, 1, 1];
const CLIP = [0, 1, 1, 1, 1, 1, 0];
const APPROX = [0, 0, 1, 2, 1, 0, 0];
const train: BinarizerContext = { training: true, state: {} };
const evalCtx: BinarizerContext = { training: false, state: {} };
const dense = (i: number, o: number): LayerShape => ({
  kind: "dense",
  weightShape: [i, o],
  inChannels: i,
  outChannels: o,
});
/**
 * A 1x1 convolution with i inputs and o outputs: the form the formulas below pin (xnor's and
 * dorefa's dense layers scale their gradients: binarizers_dense_test.ts). The 2-D tensors stand
 * for [samples, channels] and [in, out]; every binarizer reduces over axes, not fixed ranks.
 */
const conv = (i: number, o: number): LayerShape => ({
  kind: "conv",
  weightShape: [1, 1, i, o],
  inChannels: i,
  outChannels: o,
  outSpatial: [1, 1],
});

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-5, what = "") {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} != ${expected[i]} (all: ${Array.from(actual)})`,
    );
  }
}

/** Forward value and d(sum(f(x) * dy))/dx for an activation binarizer on a [1, n] input. */
function activation(name: string, xs: number[], ctx = train, p: Params = {}, dy?: number[]) {
  const b = getBinarizer(name);
  const x = tf.tensor2d(xs, [1, xs.length]);
  const shape = conv(xs.length, 1);
  const value = Array.from(b.activations(x, p, ctx, shape).dataSync());
  const up = tf.tensor2d(dy ?? xs.map(() => 1), [1, xs.length]);
  const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(b.activations(v, p, ctx, shape), up)))(x);
  return { value, grad: Array.from(grad.dataSync()) };
}

/** Same for weights [in, out] of a 1x1 convolution. */
function weights(name: string, w: number[][], ctx = train, p: Params = {}) {
  const b = getBinarizer(name);
  const t = tf.tensor2d(w);
  const shape = conv(w.length, w[0].length);
  const value = Array.from(b.weights(t, p, ctx, shape).dataSync());
  const grad = tf.grad((v: tf.Tensor) => tf.sum(b.weights(v, p, ctx, shape)))(t);
  return { value, grad: Array.from(grad.dataSync()) };
}

Deno.test("fp32 is the identity, forward and backward", () => {
  const a = activation("fp32", X);
  close(a.value, X);
  close(a.grad, X.map(() => 1));
});

Deno.test("bnn: sign(0) = +1 and the clipped STE passes |x| <= 1 only", () => {
  const a = activation("bnn", X);
  close(a.value, SIGN, 0, "value");
  close(a.grad, CLIP, 0, "grad");
  const w = weights("bnn", [[0.5, -1], [-0.25, 2]]);
  close(w.value, [1, -1, -1, 1], 0);
  close(w.grad, [1, 1, 1, 0], 0);
});

Deno.test("dorefa / bireal / react / xnor weights: sign(w) * mean_c|w|, gradient is the clipped STE", () => {
  // Columns are output channels: mean|w| = (0.5 + 0.25) / 2 = 0.375 and (1 + 2) / 2 = 1.5.
  for (const name of ["dorefa", "bireal", "react", "xnor"]) {
    const w = weights(name, [[0.5, -1], [-0.25, 2]]);
    close(w.value, [0.375, -1.5, -0.375, 1.5], 1e-6, `${name} value`);
    close(w.grad, [1, 1, 1, 0], 0, `${name} grad`);
  }
});

Deno.test("dorefa activations: sign with the clipped STE", () => {
  const a = activation("dorefa", X);
  close(a.value, SIGN, 0);
  close(a.grad, CLIP, 0);
});

Deno.test("bireal activations: ApproxSign gradient 2 - 2|x| inside [-1, 1], zero at |x| = 1", () => {
  const a = activation("bireal", X);
  close(a.value, SIGN, 0);
  close(a.grad, APPROX, 1e-6);
});

Deno.test("xnor activations: per-sample mean |x| scale, detached, clipped STE", () => {
  const xs = [-3, -1, 0, 0.5, 1, 2.5]; // mean |x| = 8 / 6
  const s = 8 / 6;
  const a = activation("xnor", xs);
  close(a.value, [-s, -s, s, s, s, s], 1e-6);
  close(a.grad, [0, 1, 1, 1, 1, 0], 0);
  // Two samples get their own scales.
  const b = getBinarizer("xnor");
  const two = tf.tensor2d([[1, -1], [-4, 2]]);
  close(b.activations(two, {}, train, conv(2, 1)).dataSync(), [1, -1, -3, 3], 1e-6);
});

Deno.test("react: learnable threshold shifts the sign point and receives the ApproxSign gradient", () => {
  const b = getBinarizer("react");
  const p = b.params!(dense(3, 2), new Rng(0), (_n, init) => tf.variable(init));
  assert.deepEqual(Array.from(p.t.dataSync()), [0, 0, 0]);
  (p.t as tf.Variable).assign(tf.tensor1d([0.5, -0.5, 0]));
  const x = tf.tensor2d([[-0.25, 0.25, 0]]);
  close(b.activations(x, p, train, dense(3, 2)).dataSync(), [1, -1, 1], 0);
  // d/dt of sum(sign(x + t)) = ApproxSign(x + t) = 2 - 2|x + t| = [1.5, 1.5, 2].
  const g = tf.grad((t: tf.Tensor) =>
    tf.sum(b.activations(x, { t: t as tf.Variable }, train, dense(3, 2)))
  )(p.t);
  close(g.dataSync(), [1.5, 1.5, 2], 1e-6);
});

Deno.test("xnorpp: output scaled by alpha[c] * beta[h] * gamma[w], all initialised to 1", () => {
  const b = getBinarizer("xnorpp");
  const shape: LayerShape = {
    kind: "conv",
    weightShape: [1, 1, 1, 2],
    inChannels: 1,
    outChannels: 2,
    outSpatial: [2, 3],
  };
  const p = b.params!(shape, new Rng(0), (_n, init) => tf.variable(init));
  assert.deepEqual(p.beta.shape, [2, 1, 1]);
  assert.deepEqual(p.gamma.shape, [1, 3, 1]);
  (p.alpha as tf.Variable).assign(tf.tensor1d([2, 3]));
  (p.beta as tf.Variable).assign(tf.tensor3d([1, 10], [2, 1, 1]));
  (p.gamma as tf.Variable).assign(tf.tensor3d([1, 2, 4], [1, 3, 1]));
  const y = b.output!(tf.ones([1, 2, 3, 2]), p, train, shape);
  close(y.dataSync(), [2, 3, 4, 6, 8, 12, 20, 30, 40, 60, 80, 120], 1e-6);
  const a = activation("xnorpp", X);
  close(a.value, SIGN, 0);
  close(a.grad, CLIP, 0);
});

Deno.test("recu activations: divided by the per-sample std while training, ApproxSign-shaped gradient", () => {
  const xs = [-2, -1, 0, 1, 2]; // unbiased variance 2.5
  const sd = Math.sqrt(2.5 + 1e-5);
  const a = activation("recu", xs, train);
  close(a.value, [-1, -1, 1, 1, 1], 0);
  // Evaluation: plain sign(x), gradient max(0, 2 - 2|x|).
  const e = activation("recu", [-2, -0.25, 0, 0.75], evalCtx);
  close(e.value, [-1, -1, 1, 1], 0);
  close(e.grad, [0, 1.5, 2, 0.5], 1e-6);
  // Training with a one-hot upstream gradient on element 1 (x = -1, a0 = -1/sd, outside |a0| < 1):
  const t = activation("recu", xs, train, {}, [0, 0, 1, 0, 0]);
  // a0[2] = 0 so the ApproxSign factor is 2; d a0[2] / dx = 1/sd at i = 2, and 0 elsewhere
  // because a0[2] = x[2] / sd with x[2] = 0 makes the std's derivative term vanish.
  close(t.grad, [0, 0, 2 / sd, 0, 0], 1e-4);
});

Deno.test("recu weights: standardised, clamped at Q(tau), sign, plain STE through the clamp", () => {
  const b = getBinarizer("recu");
  // One output channel with w = [-3, -1, 1, 3]: mean 0, unbiased var 20/3.
  const w = [[-3], [-1], [1], [3]];
  const std = Math.sqrt(20 / 3 + 1e-5);
  const w1 = [-3, -1, 1, 3].map((v) => (v * 2 * Math.SQRT2) / std);
  const q = -(w1.reduce((a, v) => a + Math.abs(v), 0) / 4) * Math.log(2 - 2 * 0.85);
  const r = weights("recu", w, { training: true, state: { tau: 0.85 } });
  close(r.value, [-1, -1, 1, 1], 0);
  // The outer weights exceed Q, so the clamp blocks their gradient: sum(sign(w2)) only sees
  // L = w1[1] + w1[2] = c (w[1] + w[2] - 2 mean(w)) / s (c = 2 sqrt 2, s = std); the std term's
  // derivative is multiplied by L = 0 here, so dL/dw = c/s * [-0.5, 0.5, 0.5, -0.5].
  assert.ok(Math.abs(w1[0]) > q && Math.abs(w1[1]) < q, "fixture straddles the clamp");
  const c = (2 * Math.SQRT2) / std;
  close(r.grad, [-0.5 * c, 0.5 * c, 0.5 * c, -0.5 * c], 1e-4);
  assert.ok(b.params);
});

Deno.test("recu tau schedule rises from 0.85 to 0.99", () => {
  close([recuTau(0, 10)], [0.85], 1e-9);
  close([recuTau(10, 10)], [0.99], 1e-9);
  assert.ok(recuTau(5, 10) > 0.85 && recuTau(5, 10) < 0.99);
});

Deno.test("fda: Fourier-series gradient, zero beyond |x| > 1, schedule n and alpha", () => {
  const n = 9;
  const f = (x: number) => {
    if (Math.abs(x) > 1) return 0;
    let s = 0;
    for (let i = 0; i <= n; i++) s += Math.cos((2 * i + 1) * 0.1 * x);
    return (4 * 0.1 / Math.PI) * s;
  };
  // Last epoch: alpha = 0, the network is purely binary.
  const ctx: BinarizerContext = { training: true, state: { n, alpha: 0 } };
  const a = activation("fda", X, ctx);
  close(a.value, SIGN, 0);
  close(a.grad, X.map(f), 1e-5);
  assert.ok(Math.abs(f(0) - 4 / Math.PI) < 0.02, "the series approximates the 4/pi peak");
  assert.deepEqual(fdaSchedule(0, 10).n, 9);
  assert.deepEqual(fdaSchedule(9, 10).n, 17);
  close([fdaSchedule(9, 10).alpha], [0], 1e-12);
  close([fdaSchedule(0, 10).alpha], [0.05 * (1 + Math.cos(Math.PI / 10))], 1e-12);
});

Deno.test("fda: noise adaptation adds alpha * (MLP(x) + 0.1 sin x) while alpha > 0", () => {
  const b = getBinarizer("fda");
  const shape = dense(4, 2);
  const p = b.params!(shape, new Rng(3), (_n, init) => tf.variable(init));
  const x = tf.tensor2d([[0.3, -0.7, 0.1, 0.9]]);
  const on = b.activations(x, p, { training: true, state: { n: 9, alpha: 0.1 } }, shape);
  const off = b.activations(x, p, { training: true, state: { n: 9, alpha: 0 } }, shape);
  const diff = tf.sub(on, off).dataSync();
  const mlp = tf.add(
    tf.matMul(tf.relu(tf.matMul(x, p.a1)), p.a2),
    tf.mul(tf.sin(x), 0.1),
  ).dataSync();
  close(diff, Array.from(mlp).map((v) => 0.1 * v), 1e-5);
});

Deno.test("binarizerCurves: forward and gradient from the registered functions, no tensor left", () => {
  const before = tf.memory().numTensors;
  const bnn = binarizerCurves(getBinarizer("bnn"), { from: -2, to: 2, points: 5 });
  const acts = bnn.points.filter((p) => p.side === "activations");
  assert.deepEqual(acts.map((p) => p.x), [-2, -1, 0, 1, 2]);
  assert.deepEqual(acts.map((p) => p.forward), [-1, -1, 1, 1, 1]);
  assert.deepEqual(acts.map((p) => p.gradient), [0, 1, 1, 1, 0]);
  assert.deepEqual(bnn.schedule, []);
  const fda = binarizerCurves(getBinarizer("fda"), { epochs: 3 });
  assert.deepEqual(fda.state, fdaSchedule(0, 3));
  assert.equal(fda.schedule.length, 3);
  for (const name of binarizerNames()) {
    const c = binarizerCurves(getBinarizer(name), { points: 21 });
    assert.equal(c.points.length, 42);
    assert.ok(c.points.every((p) => Number.isFinite(p.forward) && Number.isFinite(p.gradient)));
  }
  assert.equal(tf.memory().numTensors, before);
});
