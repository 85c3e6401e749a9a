/**
 * The SIMD conv2d filter and input gradients (engine/tfjs/conv_filter_grad.ts,
 * conv_input_grad.ts) against an exact (float64) reference on small random geometries: every
 * element must lie within the float32 summation bound of its exact value,
 * |got − exact| <= (N + 1)·2^-24·Σ|products| over its N terms (the classic
 * bound for a sequential float32 sum of products, whatever the order). Also: the kernel is the
 * one tf.grad reaches on wasm, and it is deterministic (same inputs, same bits).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { fastConvFilterGrad } from "../../../engine/tfjs/conv_filter_grad.ts";
import { fastConvInputGrad } from "../../../engine/tfjs/conv_input_grad.ts";
import { machineMadd } from "./madd.ts";

await initBackend("wasm");
const madd = machineMadd();

type Shape4 = [number, number, number, number];

interface Case {
  xShape: Shape4;
  filter: Shape4;
  stride: number;
  pad: "same" | "valid";
  x: number[];
  dy: number[];
}

const caseArb = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  c: fc.integer({ min: 1, max: 9 }),
  k: fc.constantFrom(8, 16, 24),
  kernel: fc.constantFrom<[number, number]>([3, 3], [1, 1], [2, 2], [1, 3], [3, 2]),
  stride: fc.constantFrom(1, 2),
  pad: fc.constantFrom<"same" | "valid">("same", "valid"),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
}).map(({ n, h, w, c, k, kernel, stride, pad, seed }): Case => {
  const xShape: Shape4 = [n, h, w, c];
  const filter: Shape4 = [kernel[0], kernel[1], c, k];
  const info = tf.backend_util.computeConv2DInfo(xShape, filter, stride, 1, pad);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x40000000) - 1;
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return {
    xShape,
    filter,
    stride,
    pad,
    x: Array.from({ length: size(xShape) }, rand),
    dy: Array.from({ length: size(info.outShape) }, rand),
  };
});

/**
 * Each valid (image n, tap i j, output position oh ow) with the input pixel (r, q) the tap reads
 * there, in the kernels' order: images, then taps row-major, then output rows and columns.
 */
function forEachValidTap(
  info: tf.backend_util.Conv2DInfo,
  f: (n: number, i: number, j: number, oh: number, ow: number, r: number, q: number) => void,
): void {
  for (let n = 0; n < info.batchSize; n++) {
    for (let i = 0; i < info.filterHeight; i++) {
      for (let j = 0; j < info.filterWidth; j++) {
        for (let oh = 0; oh < info.outHeight; oh++) {
          for (let ow = 0; ow < info.outWidth; ow++) {
            const r = oh * info.strideHeight + i - info.padInfo.top;
            const q = ow * info.strideWidth + j - info.padInfo.left;
            if (r >= 0 && r < info.inHeight && q >= 0 && q < info.inWidth) f(n, i, j, oh, ow, r, q);
          }
        }
      }
    }
  }
}

/** Exact dW and Σ|x·dy| per element (float64, direct definition). */
function reference(c: Case, xs: Float32Array, dys: Float32Array) {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
  const [kh, kw, ci, ko] = c.filter;
  const exact = new Float64Array(kh * kw * ci * ko), mag = new Float64Array(exact.length);
  forEachValidTap(info, (n, i, j, oh, ow, r, q) => {
    for (let cc = 0; cc < ci; cc++) {
      const xv = xs[((n * info.inHeight + r) * info.inWidth + q) * ci + cc];
      for (let k = 0; k < ko; k++) {
        const p = xv * dys[((n * info.outHeight + oh) * info.outWidth + ow) * ko + k];
        const at = ((i * kw + j) * ci + cc) * ko + k;
        exact[at] += p;
        mag[at] += Math.abs(p);
      }
    }
  });
  return { exact, mag, terms: info.batchSize * info.outHeight * info.outWidth };
}

/** dW through the fast kernel directly (null: it declined). */
function fastDw(c: Case): Float32Array | null {
  const x = tf.tensor4d(c.x, c.xShape);
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
  const dy = tf.tensor(c.dy, info.outShape);
  const out = fastConvFilterGrad(tf.backend(), x, dy, info);
  tf.dispose([x, dy]);
  if (!out) return null;
  const t = tf.engine().makeTensorFromTensorInfo(out);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

Deno.test("fast conv2d filter gradient is within the float32 summation bound of the exact sum", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const dw = fastDw(c);
      assert.ok(dw, "the fast kernel declined a supported geometry");
      const { exact, mag, terms } = reference(c, Float32Array.from(c.x), Float32Array.from(c.dy));
      const bound = (terms + 1) * 2 ** -24;
      for (let i = 0; i < dw.length; i++) {
        const err = Math.abs(dw[i] - exact[i]);
        assert.ok(err <= bound * mag[i] + 1e-30, `dW[${i}] = ${dw[i]}, exact ${exact[i]}`);
      }
      assert.deepEqual(fastDw(c), dw, "two runs differ");
    }),
    { numRuns: 60, seed: 42 },
  );
});

Deno.test("fast conv2d filter gradient: its bits are the documented order's (images, then output rows and columns, the machine's multiply-add)", () => {
  // c up to 17 covers the 6-channel blocks, the 4-channel blocks and single channels.
  const arb = fc.record({ c: caseArb, ci: fc.integer({ min: 1, max: 17 }) }).map(({ c, ci }) => {
    const xShape: Shape4 = [c.xShape[0], c.xShape[1], c.xShape[2], ci];
    const size = xShape.reduce((a, b) => a * b, 1);
    const x = Array.from({ length: size }, (_, i) => c.x[i % c.x.length] * (1 + (i % 5) / 8));
    return { ...c, xShape, filter: [c.filter[0], c.filter[1], ci, c.filter[3]] as Shape4, x };
  });
  fc.assert(
    fc.property(arb, (c) => {
      const dw = fastDw(c);
      assert.ok(dw, "the fast kernel declined a supported geometry");
      const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
      const xs = Float32Array.from(c.x), dys = Float32Array.from(c.dy);
      const [kh, kw, ci, ko] = c.filter;
      const want = new Float32Array(kh * kw * ci * ko);
      forEachValidTap(info, (n, i, j, oh, ow, r, q) => {
        for (let cc = 0; cc < ci; cc++) {
          const xv = xs[((n * info.inHeight + r) * info.inWidth + q) * ci + cc];
          for (let k = 0; k < ko; k++) {
            const at = ((i * kw + j) * ci + cc) * ko + k;
            const d = dys[((n * info.outHeight + oh) * info.outWidth + ow) * ko + k];
            want[at] = madd(xv, d, want[at]);
          }
        }
      });
      assert.deepEqual(dw, want);
    }),
    { numRuns: 40, seed: 44 },
  );
});

Deno.test("tf.grad of conv2d on wasm reaches the fast filter gradient", () => {
  const c = fc.sample(caseArb, { numRuns: 1, seed: 7 })[0];
  const viaGrad = tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filter, c.stride, 1, c.pad);
    const dy = tf.tensor4d(c.dy, info.outShape);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: "NHWC", filterShape: c.filter };
    return (tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, attrs) as tf.Tensor)
      .dataSync();
  });
  assert.deepEqual(viaGrad, fastDw(c));
});

Deno.test("fast conv2d filter gradient declines output channels that are not a multiple of 8", () => {
  const info = tf.backend_util.computeConv2DInfo([1, 4, 4, 2], [3, 3, 2, 5], 1, 1, "same");
  const x = tf.zeros([1, 4, 4, 2]), dy = tf.zeros([1, 4, 4, 5]);
  assert.equal(fastConvFilterGrad(tf.backend(), x, dy, info), null);
  tf.dispose([x, dy]);
});

const inputCaseArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  c: fc.constantFrom(8, 16),
  k: fc.integer({ min: 1, max: 10 }),
  kernel: fc.constantFrom<[number, number]>([3, 3], [1, 1], [2, 2], [1, 3], [3, 2]),
  stride: fc.constantFrom(1, 2),
  pad: fc.constantFrom<"same" | "valid">("same", "valid"),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
}).map(({ n, h, w, c, k, kernel, stride, pad, seed }) => {
  const xShape: Shape4 = [n, h, w, c];
  const filter: Shape4 = [kernel[0], kernel[1], c, k];
  const info = tf.backend_util.computeConv2DInfo(xShape, filter, stride, 1, pad);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x40000000) - 1;
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const wv = Array.from({ length: size(filter) }, rand);
  const dy = Array.from({ length: size(info.outShape) }, rand);
  return { info, xShape, filter, w: wv, dy };
});

Deno.test("fast conv2d input gradient is within the float32 summation bound of the exact sum", () => {
  fc.assert(
    fc.property(inputCaseArb, ({ info, xShape, filter, w, dy }) => {
      const run = () => {
        const wt = tf.tensor4d(w, filter), dyt = tf.tensor(dy, info.outShape);
        const out = fastConvInputGrad(tf.backend(), dyt, wt, info);
        tf.dispose([wt, dyt]);
        assert.ok(out, "the fast kernel declined a supported geometry");
        const t = tf.engine().makeTensorFromTensorInfo(out);
        const values = t.dataSync() as Float32Array;
        t.dispose();
        return values;
      };
      const dx = run();
      const ws = Float32Array.from(w), dys = Float32Array.from(dy);
      const [kh, kw, ci, ko] = filter;
      const exact = new Float64Array(dx.length), mag = new Float64Array(dx.length);
      for (let n = 0; n < info.batchSize; n++) {
        for (let oh = 0; oh < info.outHeight; oh++) {
          for (let ow = 0; ow < info.outWidth; ow++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const r = oh * info.strideHeight + i - info.padInfo.top;
                const q = ow * info.strideWidth + j - info.padInfo.left;
                if (r < 0 || r >= info.inHeight || q < 0 || q >= info.inWidth) continue;
                for (let cc = 0; cc < ci; cc++) {
                  const at = ((n * info.inHeight + r) * info.inWidth + q) * ci + cc;
                  for (let k = 0; k < ko; k++) {
                    const p = dys[((n * info.outHeight + oh) * info.outWidth + ow) * ko + k] *
                      ws[((i * kw + j) * ci + cc) * ko + k];
                    exact[at] += p;
                    mag[at] += Math.abs(p);
                  }
                }
              }
            }
          }
        }
      }
      assert.equal(dx.length, xShape.reduce((a, b) => a * b, 1));
      const bound = (kh * kw * ko + 1) * 2 ** -24;
      for (let i = 0; i < dx.length; i++) {
        const err = Math.abs(dx[i] - exact[i]);
        assert.ok(err <= bound * mag[i] + 1e-30, `dx[${i}] = ${dx[i]}, exact ${exact[i]}`);
      }
      assert.deepEqual(run(), dx, "two runs differ");
    }),
    { numRuns: 60, seed: 43 },
  );
});

Deno.test("fast conv2d input gradient: its bits are the documented order's (taps, then k in order, the machine's multiply-add)", () => {
  // k up to 13 covers the kernel's 4-k steps and the single-k remainder.
  const arb = inputCaseArb.chain((c) =>
    fc.integer({ min: 1, max: 13 }).map((ko) => {
      const filter: Shape4 = [c.filter[0], c.filter[1], c.filter[2], ko];
      const info = tf.backend_util.computeConv2DInfo(
        c.xShape,
        filter,
        c.info.strideHeight,
        1,
        c.info.padInfo.type === "VALID" ? "valid" : "same",
      );
      const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
      const vals = (m: number, from: number[]) =>
        Array.from({ length: m }, (_, i) => from[i % from.length] * (1 + (i % 7) / 8));
      return {
        ...c,
        filter,
        info,
        w: vals(size(filter), c.w),
        dy: vals(size(info.outShape), c.dy),
      };
    })
  );
  fc.assert(
    fc.property(arb, ({ info, xShape, filter, w, dy }) => {
      const wt = tf.tensor4d(w, filter), dyt = tf.tensor(dy, info.outShape);
      const out = fastConvInputGrad(tf.backend(), dyt, wt, info);
      tf.dispose([wt, dyt]);
      assert.ok(out, "the fast kernel declined a supported geometry");
      const t = tf.engine().makeTensorFromTensorInfo(out);
      const dx = t.dataSync() as Float32Array;
      t.dispose();
      const ws = Float32Array.from(w), dys = Float32Array.from(dy);
      const [, kw, ci, ko] = filter;
      const want = new Float32Array(xShape.reduce((a, b) => a * b, 1));
      forEachValidTap(info, (n, i, j, oh, ow, r, q) => {
        for (let cc = 0; cc < ci; cc++) {
          const at = ((n * info.inHeight + r) * info.inWidth + q) * ci + cc;
          let acc = want[at];
          for (let k = 0; k < ko; k++) {
            const d = dys[((n * info.outHeight + oh) * info.outWidth + ow) * ko + k];
            acc = madd(d, ws[((i * kw + j) * ci + cc) * ko + k], acc);
          }
          want[at] = acc;
        }
      });
      assert.deepEqual(dx, want);
    }),
    { numRuns: 40, seed: 44 },
  );
});

Deno.test("the SIMD convolution gradients leak no tensors or wasm buffers", () => {
  const backend = tf.backend();
  const before = [tf.memory().numTensors, backend.numDataIds()];
  tf.tidy(() => {
    const x = tf.randomNormal([2, 6, 5, 8]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 8, 16]) as tf.Tensor4D;
    for (const stride of [1, 2] as const) {
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, "same"))
      )([x, w]);
      dx.dataSync();
      dw.dataSync();
    }
  });
  assert.deepEqual([tf.memory().numTensors, backend.numDataIds()], before);
});
