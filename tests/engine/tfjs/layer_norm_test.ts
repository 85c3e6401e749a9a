/**
 * The fused LayerNorm (engine/tfjs/layer_norm.ts) against the op chain it replaces (moments,
 * subtract, rsqrt, scale, shift) and that chain's tf.grad gradients, on random shapes and values
 * on the wasm and cpu backends: within 2e-5 · max(1, |reference|) (the chain rounds to float32
 * after each op; normalised values are O(1), gradients summed over up to 7 rows), dx within that
 * times the largest rstd = 1 / sqrt(var + eps) of a row where above 1 (dx carries that factor, and
 * with it the chain's float32 errors: two close values in a row of 2 make it ~100). Also:
 * deterministic bits and no leaked tensors.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { layerNorm } from "../../../engine/tfjs/layer_norm.ts";

const EPS = 1e-5;

function chain(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
  return tf.add(tf.mul(xhat, g), b);
}

function within(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 2e-5) {
  for (let i = 0; i < got.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: ${got[i]} vs ${want[i]}`,
    );
  }
}

/** The largest 1 / sqrt(var + eps) over the rows of x (float64). */
function maxRstd(x: tf.Tensor, d: number): number {
  const xs = x.dataSync();
  let worst = 0;
  for (let o = 0; o < xs.length; o += d) {
    let m = 0, v = 0;
    for (let j = 0; j < d; j++) m += xs[o + j] / d;
    for (let j = 0; j < d; j++) v += (xs[o + j] - m) ** 2 / d;
    worst = Math.max(worst, 1 / Math.sqrt(v + EPS));
  }
  return worst;
}

const caseArb = fc.record({
  lead: fc.constantFrom<number[]>([1], [3], [2, 3], [7]),
  d: fc.integer({ min: 2, max: 24 }),
  scale: fc.constantFrom(0.1, 1, 30),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`fused LayerNorm on ${backend}: values and gradients match the op chain`, async () => {
    await initBackend(backend);
    fc.assert(
      fc.property(caseArb, ({ lead, d, scale, seed }) => {
        const x = tf.add(tf.randomNormal([...lead, d], 0, scale, "float32", seed), 0.5);
        const g = tf.randomNormal([d], 1, 0.3, "float32", seed + 1);
        const b = tf.randomNormal([d], 0, 0.3, "float32", seed + 2);
        const dy = tf.randomNormal([...lead, d], 0, 1, "float32", seed + 3);
        const y = layerNorm(x, g, b, EPS), ref = chain(x, g, b);
        within(y.dataSync(), ref.dataSync(), "y");
        const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
          layerNorm(a, c, e, EPS)
        );
        const refGrads = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => chain(a, c, e));
        const got = grads([x, g, b], dy), want = refGrads([x, g, b], dy);
        // dx carries a factor rstd = 1 / sqrt(var + eps): the chain's float32 errors grow with it.
        within(got[0].dataSync(), want[0].dataSync(), "dx", 2e-5 * Math.max(1, maxRstd(x, d)));
        for (let i = 1; i < 3; i++) within(got[i].dataSync(), want[i].dataSync(), `grad ${i}`);
        tf.dispose([x, g, b, dy, y, ref, ...got, ...want]);
      }),
      { numRuns: 60 },
    );
  });
}

Deno.test("fused LayerNorm: deterministic, no leaked tensors", async () => {
  await initBackend("wasm");
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([64, 16, 64], 0, 2, "float32", 5);
  const g = tf.randomNormal([64], 1, 0.2, "float32", 6), b = tf.zeros([64]);
  const dy = tf.randomNormal([64, 16, 64], 0, 1, "float32", 7);
  const run = () => {
    const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => layerNorm(a, c, e, EPS))([
      x,
      g,
      b,
    ], dy);
    const bits = gs.map((t) =>
      Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer))
    );
    tf.dispose(gs);
    return bits;
  };
  assert.deepEqual(run(), run());
  tf.dispose([x, g, b, dy]);
  assert.equal(tf.memory().numTensors, before);
});
