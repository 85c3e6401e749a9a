/**
 * Dense layers (transformer, ViT, MLP) of xnor, dorefa and react, checked numerically: the
 * layer's forward value and its input, weight and threshold gradients against the same formulas
 * written out here with plain tfjs ops and the chain rule by hand (no custom gradients), on small
 * seeded shapes that include the edge values 0 and ±1. The convolution path keeps the plain
 * clipped STE (pinned in binarizers_test.ts); this file also checks that it is unchanged.
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../engine/tf.ts";
import { getBinarizer } from "../../engine/binarizers/mod.ts";
import type { BinarizerContext, LayerShape, Params } from "../../engine/binarizers/mod.ts";
import { Dense } from "../../engine/nn/layers.ts";
import { ParamStore } from "../../engine/nn/params.ts";
import { Rng } from "../../engine/rng.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();
await initBackend("wasm");

type T = tf.Tensor;
const ctx: BinarizerContext = { training: true, state: {} };
const [ROWS, IN, OUT] = [5, 6, 4];
const DENSE: LayerShape = {
  kind: "dense",
  weightShape: [IN, OUT],
  inChannels: IN,
  outChannels: OUT,
};
const CONV: LayerShape = {
  kind: "conv",
  weightShape: [1, 1, IN, OUT],
  inChannels: IN,
  outChannels: OUT,
  outSpatial: [1, 1],
};

/** Seeded values in [-r, r], with a few exact edge values (0, ±1) at fixed places. */
function values(seed: number, n: number, r: number): number[] {
  const rng = new Rng(seed);
  const v = Array.from({ length: n }, () => (rng.next() * 2 - 1) * r);
  v[1] = 1;
  v[4] = -1;
  v[7] = 0;
  return v;
}
const X = tf.tensor2d(values(1, ROWS * IN, 1.6), [ROWS, IN]);
const W = tf.tensor2d(values(2, IN * OUT, 1.3), [IN, OUT]);
const DY = tf.tensor2d(values(3, ROWS * OUT, 1), [ROWS, OUT]);

// ---- the reference computations: plain ops, gradients by hand ----
const sgn = (v: T) => tf.where(tf.greaterEqual(v, 0), tf.onesLike(v), tf.neg(tf.onesLike(v)));
const inside = (v: T) => tf.cast(tf.lessEqual(tf.abs(v), 1), "float32");
const insideOpen = (v: T) => tf.cast(tf.less(tf.abs(v), 1), "float32");
const colMeanAbs = (v: T) => tf.mean(tf.abs(v), 0, true); // per output neuron of [in, out]
const rowMeanAbs = (v: T) => tf.mean(tf.abs(v), 1, true); // per row of [rows, in]

interface Result {
  y: T;
  dx: T;
  dw: T;
  dt?: T;
}

/** y = xb @ wb; upstream gradient DY: dxb = DY wb^T, dwb = xb^T DY. */
function backprop(xb: T, wb: T): { y: T; dxb: T; dwb: T } {
  return {
    y: tf.matMul(xb, wb),
    dxb: tf.matMul(DY, wb, false, true),
    dwb: tf.matMul(xb, DY, true, false),
  };
}

/** xnor, dense: centred weights, scales in the forward pass and in both gradients. */
function xnorReference(x: T, w: T): Result {
  const v = tf.sub(w, tf.mean(w, 0, true));
  const sw = colMeanAbs(v), sx = rowMeanAbs(x);
  const { y, dxb, dwb } = backprop(tf.mul(sgn(x), sx), tf.mul(sgn(v), sw));
  const gv = tf.mul(tf.mul(dwb, sw), inside(v));
  return {
    y,
    dx: tf.mul(tf.mul(dxb, sx), inside(x)),
    dw: tf.sub(gv, tf.mean(gv, 0, true)), // through the centring v = w - mean(w)
  };
}

/** dorefa, dense: scaled weight gradient, open-interval STE on both sides. */
function dorefaReference(x: T, w: T): Result {
  const sw = colMeanAbs(w);
  const { y, dxb, dwb } = backprop(sgn(x), tf.mul(sgn(w), sw));
  return { y, dx: tf.mul(dxb, insideOpen(x)), dw: tf.mul(tf.mul(dwb, sw), insideOpen(w)) };
}

/** react, dense: the paper's sign(x + t) with ApproxSign at x + t, clipped STE for weights. */
function reactReference(x: T, w: T, t: T): Result {
  const u = tf.add(x, t);
  const approx = tf.relu(tf.sub(2, tf.mul(2, tf.abs(u))));
  const { y, dxb, dwb } = backprop(sgn(u), tf.mul(sgn(w), colMeanAbs(w)));
  const dx = tf.mul(dxb, approx);
  return { y, dx, dw: tf.mul(dwb, inside(w)), dt: tf.sum(dx, 0) };
}

/** The mean |x| / plain clipped STE of the convolution form, for the unchanged conv path. */
function convReference(name: "xnor" | "dorefa", x: T, w: T): Result {
  const sx = name === "xnor" ? rowMeanAbs(x) : tf.onesLike(rowMeanAbs(x));
  const { y, dxb, dwb } = backprop(tf.mul(sgn(x), sx), tf.mul(sgn(w), colMeanAbs(w)));
  return { y, dx: tf.mul(dxb, inside(x)), dw: tf.mul(dwb, inside(w)) };
}

// ---- the engine's binarizers ----
function engine(name: string, layer: LayerShape, p: Params = {}): Result {
  const b = getBinarizer(name);
  const f = (x: T, w: T) => tf.matMul(b.activations(x, p, ctx, layer), b.weights(w, p, ctx, layer));
  const y = f(X, W);
  const [dx, dw] = tf.grads((x: T, w: T) => tf.sum(tf.mul(f(x, w), DY)))([X, W]);
  let dt: T | undefined;
  if (p.t) {
    const wb = b.weights(W, p, ctx, layer);
    dt = tf.grad((t: T) =>
      tf.sum(tf.mul(tf.matMul(b.activations(X, { t: t as tf.Variable }, ctx, layer), wb), DY))
    )(p.t);
  }
  return { y, dx, dw, dt };
}

function close(what: string, actual: T, expected: T, tol = 1e-5) {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  for (let i = 0; i < e.length; i++) {
    assert.ok(
      Math.abs(a[i] - e[i]) <= tol * Math.max(1, Math.abs(e[i])),
      `${what}[${i}]: ${a[i]} != ${e[i]}`,
    );
  }
}

function same(name: string, got: Result, want: Result) {
  close(`${name} forward`, got.y, want.y);
  close(`${name} input gradient`, got.dx, want.dx);
  close(`${name} weight gradient`, got.dw, want.dw);
  if (want.dt) close(`${name} threshold gradient`, got.dt!, want.dt);
}

Deno.test("xnor dense: centred weights, sign * scale, gradients scaled by mean|v| and mean|x|", () => {
  same("xnor", engine("xnor", DENSE), xnorReference(X, W));
  // The checks can fail: the convolution form differs on a dense layer's shapes.
  assert.throws(() => same("xnor", engine("xnor", DENSE), convReference("xnor", X, W)));
});

Deno.test("dorefa dense: weight gradient carries mean_c|w|, STE on the open interval", () => {
  same("dorefa", engine("dorefa", DENSE), dorefaReference(X, W));
  assert.throws(() => same("dorefa", engine("dorefa", DENSE), convReference("dorefa", X, W)));
});

Deno.test("react dense: the paper's sign(x + t), ApproxSign gradient to x and t", () => {
  const b = getBinarizer("react");
  const p = b.params!(DENSE, new Rng(0), (_n, init) => tf.variable(init));
  (p.t as tf.Variable).assign(tf.tensor1d([0.3, -0.2, 0, 0.5, -0.6, 0.1]));
  same("react", engine("react", DENSE, p), reactReference(X, W, p.t));
  // The threshold changes the forward value (it would not with sign(x)).
  const plain = tf.matMul(sgn(X), tf.mul(sgn(W), colMeanAbs(W)));
  assert.throws(() => close("react forward", engine("react", DENSE, p).y, plain));
});

Deno.test("xnor / dorefa convolutions keep the plain clipped STE", () => {
  for (const name of ["xnor", "dorefa"] as const) {
    const b = getBinarizer(name);
    const w4 = tf.reshape(W, [1, 1, IN, OUT]);
    const x4 = tf.reshape(X, [ROWS, 1, 1, IN]);
    const f = (x: T, w: T) =>
      tf.conv2d(
        b.activations(x, {}, ctx, CONV) as tf.Tensor4D,
        b.weights(w, {}, ctx, CONV) as tf.Tensor4D,
        1,
        "same",
      );
    const [dx, dw] = tf.grads((x: T, w: T) =>
      tf.sum(tf.mul(f(x, w), tf.reshape(DY, [ROWS, 1, 1, OUT])))
    )([x4, w4]);
    const want = convReference(name, X, W);
    close(`${name} conv forward`, tf.reshape(f(x4, w4), [ROWS, OUT]), want.y);
    close(`${name} conv input gradient`, tf.reshape(dx, [ROWS, IN]), want.dx);
    close(`${name} conv weight gradient`, tf.reshape(dw, [IN, OUT]), want.dw);
  }
});

Deno.test("the Dense layer hands its binarizer the dense shape", () => {
  const store = new ParamStore();
  const layer = new Dense(
    { name: "d", inFeatures: IN, outFeatures: OUT, binarizer: "xnor", bias: false },
    store,
    new Rng(0),
  );
  layer.kernel.assign(W);
  const y = layer.apply(tf.reshape(X, [1, ROWS, IN]), { ...ctx, bnUpdates: [] });
  close("Dense(xnor)", tf.reshape(y, [ROWS, OUT]), xnorReference(X, W).y);
});
