/**
 * The training convolution's SIMD forward pass (engine/tfjs/conv_forward.ts): its bits are its
 * documented order's (taps row-major, then input channels, each step this machine's multiply-add:
 * fused where the CPU has FMA), it agrees with tfjs's conv2d within the float32 summation bound, it falls back to the stock kernel where
 * it does not apply, its gradients are conv2d's, and it leaks nothing.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { fastConv2D, trainConv2d } from "../../../engine/tfjs/conv_forward.ts";
import { machineMadd, splitMadd } from "./madd.ts";

await initBackend("wasm");
const madd = machineMadd();

type Shape4 = [number, number, number, number];

const caseArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 8 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.integer({ min: 1, max: 13 }),
  k: fc.constantFrom(8, 16),
  kernel: fc.constantFrom<[number, number]>([3, 3], [1, 1], [2, 2], [1, 3], [3, 2]),
  pad: fc.constantFrom<"same" | "valid">("same", "valid"),
  stride: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
}).filter(({ h, w, kernel, pad }) => pad === "same" || (h >= kernel[0] && w >= kernel[1]))
  .map(({ n, h, w, c, k, kernel, pad, stride, seed }) => {
    const xShape: Shape4 = [n, h, w, c];
    const filter: Shape4 = [kernel[0], kernel[1], c, k];
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x40000000) - 1;
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    return {
      xShape,
      filter,
      pad,
      stride,
      x: Float32Array.from({ length: size(xShape) }, rand),
      w: Float32Array.from({ length: size(filter) }, rand),
    };
  });

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** y in the documented order (float32), and the exact sum and Σ|products| (float64). */
function reference(c: Case) {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
  const [kh, kw, ci, ko] = c.filter;
  const size = info.outShape.reduce((a, b) => a * b, 1);
  const want = new Float32Array(size), exact = new Float64Array(size), mag = new Float64Array(size);
  for (let n = 0; n < info.batchSize; n++) {
    for (let oh = 0; oh < info.outHeight; oh++) {
      for (let ow = 0; ow < info.outWidth; ow++) {
        for (let kk = 0; kk < ko; kk++) {
          const at = ((n * info.outHeight + oh) * info.outWidth + ow) * ko + kk;
          let acc = 0;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const r = oh * c.stride + i - info.padInfo.top;
              const q = ow * c.stride + j - info.padInfo.left;
              if (r < 0 || r >= info.inHeight || q < 0 || q >= info.inWidth) continue;
              for (let cc = 0; cc < ci; cc++) {
                const xv = c.x[((n * info.inHeight + r) * info.inWidth + q) * ci + cc];
                const wv = c.w[((i * kw + j) * ci + cc) * ko + kk];
                acc = madd(xv, wv, acc);
                exact[at] += xv * wv;
                mag[at] += Math.abs(xv * wv);
              }
            }
          }
          want[at] = acc;
        }
      }
    }
  }
  return { want, exact, mag, terms: kh * kw * ci };
}

function fastY(c: Case): Float32Array {
  const x = tf.tensor4d(c.x, c.xShape), w = tf.tensor4d(c.w, c.filter);
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
  const out = fastConv2D(tf.backend(), x, w, info);
  tf.dispose([x, w]);
  assert.ok(out, "the fast kernel declined a supported geometry");
  const t = tf.engine().makeTensorFromTensorInfo(out);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

Deno.test("fast conv2d forward: the documented order's bits, within the float32 bound of tfjs's conv2d", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const y = fastY(c);
      const { want, exact, mag, terms } = reference(c);
      assert.deepEqual(y, want);
      const stock = tf.tidy(() =>
        tf.conv2d(tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.filter), c.stride, c.pad)
          .dataSync()
      );
      // XNNPACK's Conv2D adds in the same order with two roundings per step, so without FMA it
      // gives the same bits. Strided: checked on real layer shapes below; on degenerate ones (e.g.
      // [1, 2, 1, 1] by a 1x3 filter, stride 2, "same") tfjs-wasm's own Conv2D is off by more than
      // rounding, so it is no reference there.
      if (c.stride === 1 && madd === splitMadd) assert.deepEqual(stock, want);
      const bound = (terms + 1) * 2 ** -24;
      if (c.stride === 1) {
        for (let i = 0; i < y.length; i++) {
          assert.ok(Math.abs(stock[i] - exact[i]) <= bound * mag[i] + 1e-30, `stock y[${i}]`);
        }
      }
      for (let i = 0; i < y.length; i++) {
        assert.ok(Math.abs(y[i] - exact[i]) <= bound * mag[i] + 1e-30, `y[${i}]`);
      }
    }),
    { numRuns: 60, seed: 45 },
  );
});

Deno.test("trainConv2d: the fast loop where it applies (stride 1 and 2; XNNPACK's bits without FMA), tfjs's Conv2D elsewhere (12 output channels)", () => {
  const c = fc.sample(caseArb, { numRuns: 1, seed: 3 })[0];
  const x = tf.tensor4d(c.x, c.xShape), w = tf.tensor4d(c.w, c.filter);
  assert.deepEqual(trainConv2d(x, w, c.stride, c.pad).dataSync(), fastY(c));
  const x2 = tf.randomNormal([2, 7, 6, 5], 0, 1, "float32", 1) as tf.Tensor4D;
  for (const [stride, k] of [[2, 8], [2, 16], [1, 12]]) {
    const w2 = tf.randomNormal([3, 3, 5, k], 0, 1, "float32", 2) as tf.Tensor4D;
    const ours = trainConv2d(x2, w2, stride, "same").dataSync();
    const stock = tf.conv2d(x2, w2, stride, "same").dataSync();
    if (k % 8 === 0) {
      const info = tf.backend_util.computeConv2DInfo(x2.shape, w2.shape, stride, 1, "same");
      const fast = fastConv2D(tf.backend(), x2, w2, info);
      assert.ok(fast, "the fast kernel declined a stride-2 geometry");
      const t = tf.engine().makeTensorFromTensorInfo(fast);
      assert.deepEqual(ours, t.dataSync());
      t.dispose();
    }
    if (k % 8 !== 0 || madd === splitMadd) assert.deepEqual(ours, stock);
    // 45 products of N(0, 1) values per output: a few float32 ulps of their magnitude apart
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i] - stock[i]) < 1e-4, `y[${i}]`);
    w2.dispose();
  }
  tf.dispose([x, w, x2]);
});

Deno.test("trainConv2d's gradients are conv2d's, bit for bit (same forward bits, same backward kernels)", () => {
  const x = tf.randomNormal([2, 6, 5, 8], 0, 1, "float32", 4) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 8, 16], 0, 1, "float32", 5) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 6, 5, 16], 0, 1, "float32", 6);
  for (const stride of [1, 2]) {
    const loss = (conv: typeof tf.conv2d) => (a: tf.Tensor, b: tf.Tensor) => {
      const y = conv(a as tf.Tensor4D, b as tf.Tensor4D, stride, "same");
      return tf.sum(tf.mul(y, stride === 1 ? dy : tf.slice(dy, [0, 0, 0, 0], y.shape)));
    };
    const ours = tf.grads(loss(trainConv2d as typeof tf.conv2d))([x, w]);
    const theirs = tf.grads(loss(tf.conv2d))([x, w]);
    assert.deepEqual(ours[0].dataSync(), theirs[0].dataSync());
    assert.deepEqual(ours[1].dataSync(), theirs[1].dataSync());
    tf.dispose([...ours, ...theirs]);
  }
  tf.dispose([x, w, dy]);
});

Deno.test("trainConv2d on the cpu backend is tfjs's conv2d", async () => {
  await initBackend("cpu");
  try {
    const x = tf.randomNormal([1, 5, 5, 3], 0, 1, "float32", 7) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 8], 0, 1, "float32", 8) as tf.Tensor4D;
    assert.deepEqual(
      trainConv2d(x, w, 1, "same").dataSync(),
      tf.conv2d(x, w, 1, "same").dataSync(),
    );
    tf.dispose([x, w]);
  } finally {
    await initBackend("wasm");
  }
});

Deno.test("trainConv2d leaks no tensors or wasm buffers", () => {
  const backend = tf.backend();
  const before = [tf.memory().numTensors, backend.numDataIds()];
  tf.tidy(() => {
    const x = tf.randomNormal([2, 6, 5, 8]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 8, 16]) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(trainConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"))
    )([x, w]);
    dx.dataSync();
    dw.dataSync();
  });
  assert.deepEqual([tf.memory().numTensors, backend.numDataIds()], before);
});
