/**
 * The fused training kernels (engine/tfjs/fused.ts) against the op chains they replace, on the
 * wasm backend: forward values and gradients must be the same float32 values bit for bit (the
 * kernels round and sum in the chains' order), on seeded random shapes and data that include the
 * edge values (0, -0, +-1, ties), and nothing may leak.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { adamUpdate, batchNormTrain, signSte, type SteKind } from "../../../engine/tfjs/fused.ts";
import { stockSum } from "../../../engine/tfjs/reduce.ts";
import { TRAIN_WASM_URL, TRAIN_WAT_URL, trainKernels } from "../../../engine/tfjs/train_kernels.ts";
import { compileWat } from "../../../engine/kernels/build.ts";
import { parseCpuinfo, readCpuinfo } from "../../../engine/bundle/fingerprint.ts";

type Tensor = tf.Tensor;

await initBackend("wasm");

Deno.test("the convolutions' multiply-add is fused exactly where the fingerprint's cpu.flags list fma", async () => {
  const k = trainKernels(tf.backend());
  assert.ok(k, "the training kernels did not load");
  const fused = k.madd_fused();
  assert.ok(fused === 0 || fused === 1);
  if (Deno.build.arch === "aarch64") assert.equal(fused, 1);
  else if (Deno.build.os === "linux") {
    const { flags } = parseCpuinfo(await readCpuinfo());
    assert.equal(fused === 1, flags.includes("fma"), `madd_fused ${fused}, flags ${flags}`);
  }
});

Deno.test("train_kernels.wasm is up to date with its WAT and runs on this backend", async () => {
  const built = await compileWat(await Deno.readTextFile(TRAIN_WAT_URL), "train_kernels.wat");
  assert.deepEqual(
    Array.from(await Deno.readFile(TRAIN_WASM_URL)),
    Array.from(built),
    "engine/tfjs/train_kernels.wasm is stale: run `deno task build:kernels`",
  );
  // Otherwise every comparison below would test the JavaScript loops only.
  assert.ok(trainKernels(tf.backend()), "the SIMD loops do not load on the wasm backend");
});

/** Values a binarized network feeds these kernels, edge cases included. */
const value = fc.oneof(
  fc.float({ min: -3, max: 3, noNaN: true }),
  fc.constantFrom(0, -0, 1, -1, 0.5, -0.5, 2, -2),
  fc.integer({ min: -4, max: 4 }),
);

/**
 * A shape with `rank` axes of 1-5 and the last (channels) 1-7 or a multiple of 4, and data of
 * that size: channel counts that are multiples of 4 run the SIMD loops, the others JavaScript's.
 */
function shaped(rank: number) {
  return fc.tuple(
    fc.array(fc.integer({ min: 1, max: 5 }), { minLength: rank - 1, maxLength: rank - 1 }),
    fc.oneof(fc.integer({ min: 1, max: 7 }), fc.constantFrom(4, 8, 12, 16)),
  ).chain(([lead, c]) => {
    const shape = [...lead, c];
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.record({
      shape: fc.constant(shape),
      x: fc.array(value, { minLength: size, maxLength: size }),
      r: fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: size, maxLength: size }),
    });
  });
}

function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

function assertSameBits(a: Tensor, b: Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  assert.deepEqual(bits(a), bits(b), `${what}: values differ`);
}

/** The unfused reference: the op chains engine/binarizers/ops.ts used before fusion. */
const ref = {
  sign: (x: Tensor) => tf.sub(1, tf.mul(2, tf.step(tf.neg(x)))),
  derivative: {
    clip: (x: Tensor) => tf.cast(tf.lessEqual(tf.abs(x), 1), "float32"),
    approx: (x: Tensor) => tf.relu(tf.sub(2, tf.mul(2, tf.abs(x)))),
    identity: (x: Tensor) => tf.onesLike(x),
  } as Record<SteKind, (x: Tensor) => Tensor>,
  withGradient(x: Tensor, d: (x: Tensor) => Tensor): Tensor {
    const f = tf.customGrad((input, save) => {
      (save as tf.GradSaveFunc)([input as Tensor]);
      return {
        value: ref.sign(input as Tensor),
        gradFunc: (dy, saved) => tf.mul(dy, d((saved as Tensor[])[0])),
      };
    });
    return f(x);
  },
};

/** Value and gradient of sum(f(x) * r) with respect to x. */
function valueAndGrad(f: (x: Tensor) => Tensor, x: Tensor, r: Tensor): [Tensor, Tensor] {
  const y = f(x);
  const g = tf.grad((v: Tensor) => tf.sum(tf.mul(f(v), r)))(x);
  return [y, g];
}

function leakFree(body: () => void): void {
  const before = tf.memory().numTensors;
  tf.tidy(body);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
}

for (const kind of ["clip", "approx", "identity"] as const) {
  Deno.test(`fused sign, ${kind} straight-through: same bits as the op chain`, () => {
    fc.assert(
      fc.property(shaped(3), ({ shape, x, r }) =>
        leakFree(() => {
          const xt = tf.tensor(x, shape), rt = tf.tensor(r, shape);
          const [y, g] = valueAndGrad((v) => signSte(v, kind), xt, rt);
          const [yr, gr] = valueAndGrad((v) => ref.withGradient(v, ref.derivative[kind]), xt, rt);
          assertSameBits(y, yr, "sign");
          assertSameBits(g, gr, "gradient");
        })),
      { numRuns: 40, seed: 11 },
    );
  });
}

Deno.test("fused Hardtanh and ReLU gradients: same bits as tfjs's own formulas", () => {
  fc.assert(
    fc.property(shaped(2), ({ shape, x, r }) =>
      leakFree(() => {
        const xt = tf.tensor(x, shape), rt = tf.tensor(r, shape);
        const clip = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.clipByValue(v, -1, 1), rt)))(xt);
        const clipRef = tf.where(
          tf.logicalAnd(tf.greaterEqual(xt, -1), tf.lessEqual(xt, 1)),
          rt,
          tf.zerosLike(rt),
        );
        assertSameBits(clip, clipRef, "hardtanh gradient");
        const relu = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.relu(v), rt)))(xt);
        assertSameBits(relu, tf.mul(rt, tf.cast(tf.step(xt), "float32")), "relu gradient");
      })),
    { numRuns: 40, seed: 12 },
  );
});

/** Training batch norm as engine/nn/layers.ts computed it before fusion. */
function refBatchNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number) {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const f = tf.customGrad((xi, g, b, save) => {
    const [xt, gt, bt] = [xi as Tensor, g as Tensor, b as Tensor];
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xt, mean), rstd);
    (save as tf.GradSaveFunc)([xhat, rstd, gt]);
    return {
      value: tf.add(tf.mul(xhat, gt), bt),
      gradFunc: (dy, saved) => {
        const [sxhat, srstd, sg] = saved as Tensor[];
        const d = dy as Tensor;
        const n = d.size / d.shape[d.rank - 1];
        const sumDy = tf.sum(d, axes);
        const sumDyXhat = tf.sum(tf.mul(d, sxhat), axes);
        const dx = tf.mul(
          tf.mul(sg, tf.div(srstd, n)),
          tf.sub(tf.sub(tf.mul(d, n), sumDy), tf.mul(sxhat, sumDyXhat)),
        );
        return [dx, sumDyXhat, sumDy];
      },
    };
  });
  return { y: f(x, gamma, beta), mean, variance };
}

for (const rank of [2, 4]) {
  Deno.test(`fused batch norm (rank ${rank}): y, statistics and gradients in the same bits`, () => {
    fc.assert(
      fc.property(
        shaped(rank),
        fc.integer({ min: 0, max: 1000 }),
        ({ shape, x, r }, s) =>
          leakFree(() => {
            const c = shape[shape.length - 1];
            const xt = tf.tensor(x, shape), rt = tf.tensor(r, shape);
            const gamma = tf.tensor1d(Array.from({ length: c }, (_, i) => 0.5 + ((s + i) % 7) / 5));
            const beta = tf.tensor1d(
              Array.from({ length: c }, (_, i) => ((s * 3 + i) % 5) / 4 - 0.5),
            );
            const loss = (bn: typeof refBatchNorm) => (a: Tensor, g: Tensor, b: Tensor) =>
              tf.sum(tf.mul(bn(a, g, b, 1e-5).y, rt));
            const fused = batchNormTrain(xt, gamma, beta, 1e-5);
            const want = refBatchNorm(xt, gamma, beta, 1e-5);
            assertSameBits(fused.y, want.y, "y");
            assertSameBits(fused.mean, want.mean, "mean");
            assertSameBits(fused.variance, want.variance, "variance");
            const got = tf.grads(loss(batchNormTrain))([xt, gamma, beta]);
            const exp = tf.grads(loss(refBatchNorm))([xt, gamma, beta]);
            ["dx", "dgamma", "dbeta"].forEach((name, i) => assertSameBits(got[i], exp[i], name));
          }),
      ),
      { numRuns: 40, seed: 13 },
    );
  });
}

/** MaxPool 2x2 / stride 2 gradient by the cpu backend's rule: the first strict maximum wins. */
function maxPoolGradReference(x: number[], shape: number[], dy: number[]): Float32Array {
  const [n, h, w, c] = shape;
  const oh = Math.floor(h / 2), ow = Math.floor(w / 2);
  const dx = new Float32Array(x.length);
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let k = 0; k < c; k++, d++) {
          let at = -1, best = -Infinity;
          for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const t = ((b * h + 2 * i + di) * w + 2 * j + dj) * c + k;
            if (x[t] > best) [best, at] = [x[t], t];
          }
          if (at >= 0) dx[at] += dy[d];
        }
      }
    }
  }
  return dx;
}

const poolGrad = (xt: tf.Tensor4D, dy: Tensor) =>
  tf.grad((v: Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, "valid"), dy)))(xt);

Deno.test("wasm MaxPoolGrad (2x2, stride 2): routes to the first maximum, ties included", () => {
  const geometry = fc.tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 2, max: 7 }),
    fc.integer({ min: 2, max: 7 }),
    fc.integer({ min: 1, max: 5 }),
  );
  fc.assert(
    fc.property(
      geometry.chain((shape) => {
        const size = shape.reduce((a, b) => a * b, 1);
        return fc.record({
          shape: fc.constant(shape),
          // Few distinct values, most of them <= 0: most windows hold ties or no positive value.
          x: fc.array(fc.integer({ min: -3, max: 1 }), { minLength: size, maxLength: size }),
        });
      }),
      ({ shape, x }) =>
        leakFree(() => {
          const xt = tf.tensor4d(x, shape as [number, number, number, number]);
          const y = tf.maxPool(xt, 2, 2, "valid");
          const dyValues = Array.from({ length: y.size }, (_, i) => (i % 7) - 3.25);
          const dy = tf.tensor(dyValues, y.shape);
          const want = maxPoolGradReference(x, shape, dyValues);
          assert.deepEqual(poolGrad(xt, dy).dataSync(), want);
        }),
    ),
    { numRuns: 60, seed: 14 },
  );
});

Deno.test("wasm MaxPoolGrad: a window of negative values passes its gradient to its maximum", () => {
  leakFree(() => {
    // tfjs-wasm 4.22's own kernel drops this gradient (its running max starts at FLT_MIN).
    const xt = tf.tensor4d([-3, -1, -2, -5, 0, -0.5, -0.25, -1], [2, 2, 2, 1]);
    const dy = tf.tensor4d([10, 20], [2, 1, 1, 1]);
    assert.deepEqual(Array.from(poolGrad(xt, dy).dataSync()), [0, 10, 0, 0, 20, 0, 0, 0]);
  });
});

Deno.test("wasm Sum over leading axes: same bits as the stock kernel, other axes unchanged", () => {
  const stock = stockSum()!;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 4 }).chain((rank) =>
        fc.tuple(shaped(rank), fc.subarray([...Array(rank).keys()], { minLength: 1 }), fc.boolean())
      ),
      ([{ shape, x }, axis, keepDims]) =>
        leakFree(() => {
          const xt = tf.tensor(x, shape);
          const got = tf.sum(xt, axis, keepDims);
          const info = stock({
            inputs: { x: xt },
            backend: tf.backend(),
            attrs: { axis, keepDims },
          }) as tf.TensorInfo;
          assertSameBits(got, tf.engine().makeTensorFromTensorInfo(info), "sum");
        }),
    ),
    { numRuns: 80, seed: 15 },
  );
});

Deno.test("fused Adam: 5 steps give the op chain's parameters and moments bit for bit", () => {
  fc.assert(
    fc.property(
      shaped(2),
      fc.constantFrom(1e-3, 3e-4, 0.1),
      ({ shape, x, r }, lr) =>
        leakFree(() => {
          const [b1, b2, eps] = [0.9, 0.999, 1e-8];
          let [w, m, v] = [tf.tensor(x, shape), tf.zeros(shape), tf.zeros(shape)];
          let [wr, mr, vr] = [w, m, v];
          for (let t = 1; t <= 5; t++) {
            const g = tf.mul(tf.tensor(r, shape), t % 2 ? 1 : -0.5);
            const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
            [w, m, v] = adamUpdate(w, g, m, v, { b1, b2, eps, c2, step: lr / c1 });
            mr = tf.add(tf.mul(mr, b1), tf.mul(g, 1 - b1));
            vr = tf.add(tf.mul(vr, b2), tf.mul(tf.square(g), 1 - b2));
            const denom = tf.add(tf.sqrt(tf.div(vr, c2)), eps);
            wr = tf.sub(wr, tf.mul(tf.div(mr, denom), lr / c1));
          }
          assertSameBits(m, mr, "m");
          assertSameBits(v, vr, "v");
          assertSameBits(w, wr, "w");
        }),
    ),
    { numRuns: 30, seed: 16 },
  );
});
