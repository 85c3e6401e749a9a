/**
 * The fused GELU (tanh form, engine/tfjs/gelu.ts) on random inputs over [-10, 10]:
 * - values and gradients within 2e-6 · max(1, |exact|) of the exact function computed in float64
 *   (Math.tanh), 1e-5 for gradients: float32 evaluation plus the rational tanh's error, a few
 *   float32 ulps (the gradient's 1 − t² loses digits as t nears ±1, times |x|³ and dy up to 2);
 * - within 2e-5 · max(1, |chain|) of the op chain the layer used before (which itself rounds after
 *   each op: its 1 − t² loses digits as t nears ±1);
 * - the SIMD loop (wasm) and the JavaScript loop (cpu backend) give the same bits;
 * - deterministic (same input, same bits), saturating in the tails, no leaked tensors.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { geluTanh } from "../../../engine/tfjs/gelu.ts";

const C = Math.sqrt(2 / Math.PI), A = 0.044715;

/** The op chain the layer used before the fused kernel. */
function chain(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), A)), C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Exact GELU and its derivative (float64). */
function exact(v: number): [number, number] {
  const t = Math.tanh(C * (v + A * v * v * v));
  return [0.5 * v * (1 + t), 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * A * v * v)];
}

function within(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  for (let i = 0; i < got.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: ${got[i]} vs ${want[i]}`,
    );
  }
}

/** Fused y and dx (for dy) on the current backend. */
function fused(xs: number[], ds: number[]): [Float32Array, Float32Array] {
  const x = tf.tensor1d(xs), dy = tf.tensor1d(ds);
  const y = geluTanh(x), g = tf.grad((t: tf.Tensor) => geluTanh(t))(x, dy);
  const out: [Float32Array, Float32Array] = [
    y.dataSync() as Float32Array,
    g.dataSync() as Float32Array,
  ];
  tf.dispose([x, dy, y, g]);
  return out;
}

const inputs = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(
    fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 4 * n, maxLength: 4 * n }),
    fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 4 * n, maxLength: 4 * n }),
  )
);

Deno.test("fused GELU: near the exact function and the op chain; SIMD and JavaScript loops agree bit for bit", async () => {
  await initBackend("wasm");
  fc.assert(
    fc.property(inputs, ([xs, ds]) => {
      const [y, dx] = fused(xs, ds);
      const ex = xs.map(exact);
      within(y, ex.map((e) => e[0]), 2e-6, "y");
      const dyF = Float32Array.from(ds);
      within(dx, ex.map((e, i) => e[1] * dyF[i]), 1e-5, "dx");
      const x = tf.tensor1d(xs), dy = tf.tensor1d(ds);
      const ref = chain(x), gRef = tf.grad((t: tf.Tensor) => chain(t))(x, dy);
      within(y, ref.dataSync(), 2e-5, "y vs chain");
      within(dx, gRef.dataSync(), 2e-5 * 2, "dx vs chain");
      tf.dispose([x, dy, ref, gRef]);
      return true;
    }),
    { numRuns: 80 },
  );
  const xs = Array.from({ length: 400 }, (_, i) => (i - 200) / 19.7);
  const ds = xs.map((v) => Math.cos(v));
  const [ySimd, dSimd] = fused(xs, ds);
  const [yOdd, dOdd] = fused(xs.slice(0, 399), ds.slice(0, 399)); // not a multiple of 4: JavaScript
  await initBackend("cpu");
  const [yJs, dJs] = fused(xs, ds);
  await initBackend("wasm");
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
  assert.deepEqual(bits(ySimd), bits(yJs));
  assert.deepEqual(bits(dSimd), bits(dJs));
  assert.deepEqual(bits(yOdd), bits(ySimd.slice(0, 399)));
  assert.deepEqual(bits(dOdd), bits(dSimd.slice(0, 399)));
});

Deno.test("fused GELU: deterministic, saturates in the tails, no leaked tensors", async () => {
  await initBackend("wasm");
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([64, 16, 128], 0, 3, "float32", 11);
  const dy = tf.randomNormal([64, 16, 128], 0, 1, "float32", 12);
  const run = () => {
    const g = tf.grad((t: tf.Tensor) => geluTanh(t))(x, dy);
    const out = new Uint32Array(g.dataSync().slice().buffer);
    g.dispose();
    return out;
  };
  assert.deepEqual(run(), run());
  const tails = tf.tensor1d([-100, -20, 20, 100]);
  const y = geluTanh(tails);
  assert.deepEqual(Array.from(y.dataSync()), [-0, -0, 20, 100]);
  tf.dispose([x, dy, tails, y]);
  assert.equal(tf.memory().numTensors, before);
});
