/**
 * The SIMD batched matrix product (engine/tfjs/batch_matmul.ts) against an exact (float64)
 * reference on small random shapes: every element within the float32 summation bound
 * |got − exact| <= (k + 1)·2^-24·Σ|products| of its k terms. Also: tf.matMul reaches it on wasm
 * for batched operands, its gradient (through engine/tfjs/matmul.ts) matches the cpu backend's
 * within the same kind of bound, it is deterministic, and the cases it leaves to the stock kernel
 * still compute the product.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { machineMadd } from "./madd.ts";
import { stockBatchMatMul } from "../../../engine/tfjs/batch_matmul.ts";

await initBackend("wasm");
const madd = machineMadd();

interface Case {
  batch: number[];
  m: number;
  k: number;
  n: number;
  a: number[];
  b: number[];
}

const caseArb = fc.record({
  batch: fc.constantFrom<number[]>([2], [3], [2, 3], [1, 2]),
  m: fc.integer({ min: 1, max: 9 }),
  k: fc.integer({ min: 1, max: 20 }),
  n: fc.constantFrom(4, 8, 16, 20),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
}).map(({ batch, m, k, n, seed }): Case => {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x40000000) - 1;
  const t = batch.reduce((x, y) => x * y, 1);
  return {
    batch,
    m,
    k,
    n,
    a: Array.from({ length: t * m * k }, rand),
    b: Array.from({ length: t * k * n }, rand),
  };
});

/** Asserts every element of `got` within the float32 summation bound of the exact product. */
function assertWithinBound(c: Case, as: Float32Array, bs: Float32Array, got: Float32Array) {
  const t = c.batch.reduce((x, y) => x * y, 1);
  const { m, k, n } = c;
  for (let q = 0; q < t; q++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let exact = 0, mag = 0;
        for (let p = 0; p < k; p++) {
          const v = as[(q * m + i) * k + p] * bs[(q * k + p) * n + j];
          exact += v;
          mag += Math.abs(v);
        }
        const g = got[(q * m + i) * n + j];
        assert.ok(
          Math.abs(g - exact) <= (k + 1) * 2 ** -24 * mag,
          `[${q},${i},${j}] ${g} vs exact ${exact} (k=${k})`,
        );
      }
    }
  }
}

Deno.test("batched matMul on wasm: within the float32 summation bound of the exact product", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const a = tf.tensor(c.a, [...c.batch, c.m, c.k]);
      const b = tf.tensor(c.b, [...c.batch, c.k, c.n]);
      const y = tf.matMul(a, b);
      assert.deepEqual(y.shape, [...c.batch, c.m, c.n]);
      assertWithinBound(
        c,
        a.dataSync() as Float32Array,
        b.dataSync() as Float32Array,
        y.dataSync() as Float32Array,
      );
      tf.dispose([a, b, y]);
    }),
    { numRuns: 60 },
  );
});

Deno.test("batched matMul on wasm: the SIMD kernel, not the stock one, and deterministic", () => {
  const before = tf.getKernel(tf.BatchMatMul, "wasm")!.kernelFunc;
  assert.ok(stockBatchMatMul() !== undefined && stockBatchMatMul() !== before);
  const a = tf.randomNormal([4, 4, 16, 16], 0, 1, "float32", 3);
  const b = tf.randomNormal([4, 4, 16, 16], 0, 1, "float32", 4);
  const y1 = tf.matMul(a, b).dataSync(), y2 = tf.matMul(a, b).dataSync();
  assert.deepEqual(new Uint32Array(y1.buffer), new Uint32Array(y2.buffer));
  // The kernel's own order: over k ascending, a float32 multiply then a float32 add.
  const as = a.dataSync(), bs = b.dataSync();
  const want = new Float32Array(y1.length);
  for (let q = 0; q < 16; q++) {
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        let acc = 0;
        for (let p = 0; p < 16; p++) {
          acc = Math.fround(
            acc + Math.fround(as[(q * 16 + i) * 16 + p] * bs[(q * 16 + p) * 16 + j]),
          );
        }
        want[(q * 16 + i) * 16 + j] = acc;
      }
    }
  }
  assert.deepEqual(new Uint32Array(y1.buffer), new Uint32Array(want.buffer));
  tf.dispose([a, b]);
});

Deno.test("batched matMul on wasm: flags, odd widths and broadcasts still reach a correct kernel", () => {
  const a = tf.randomNormal([2, 5, 3], 0, 1, "float32", 5);
  const b = tf.randomNormal([2, 7, 3], 0, 1, "float32", 6);
  const flagged = tf.matMul(a, b, false, true).dataSync();
  const explicit = tf.matMul(a, tf.transpose(b, [0, 2, 1])).dataSync();
  for (let i = 0; i < flagged.length; i++) assert.ok(Math.abs(flagged[i] - explicit[i]) < 1e-5);
  const b1 = tf.randomNormal([1, 3, 8], 0, 1, "float32", 7);
  const y = tf.matMul(a, b1);
  assert.deepEqual(y.shape, [2, 5, 8]);
  tf.dispose([a, b, b1, y]);
});

Deno.test("batched matMul gradients on wasm match the cpu backend's", async () => {
  const seedA = tf.randomNormal([2, 3, 6, 5], 0, 1, "float32", 8).arraySync();
  const seedB = tf.randomNormal([2, 3, 5, 8], 0, 1, "float32", 9).arraySync();
  const run = () => {
    const a = tf.tensor(seedA), b = tf.tensor(seedB);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a, b]);
    const out = g.map((t) => t.dataSync() as Float32Array);
    tf.dispose([a, b, ...g]);
    return out;
  };
  const onWasm = run();
  await initBackend("cpu");
  const onCpu = run();
  await initBackend("wasm");
  for (let t = 0; t < 2; t++) {
    for (let i = 0; i < onWasm[t].length; i++) {
      const tol = 1e-4 * Math.max(1, Math.abs(onCpu[t][i]));
      assert.ok(Math.abs(onWasm[t][i] - onCpu[t][i]) <= tol, `grad ${t}[${i}]`);
    }
  }
});

Deno.test("single matMul on wasm (B one matrix, n a multiple of 8): the bits of k ascending, each step the training kernels' multiply-add (fused where the CPU has FMA)", () => {
  fc.assert(
    fc.property(
      fc.record({
        lead: fc.constantFrom<number[]>([], [1], [3], [2, 2]),
        m: fc.integer({ min: 1, max: 9 }),
        k: fc.integer({ min: 1, max: 21 }),
        n: fc.constantFrom(8, 16, 24),
        seed: fc.integer({ min: 1, max: 1 << 30 }),
      }),
      ({ lead, m, k, n, seed }) => {
        let s = seed;
        const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x40000000) - 1;
        const rows = lead.reduce((x, y) => x * y, 1) * m;
        const as = Float32Array.from({ length: rows * k }, rand);
        const bs = Float32Array.from({ length: k * n }, rand);
        const bShape = [...lead.map(() => 1), k, n];
        const y = tf.tidy(() =>
          tf.matMul(tf.tensor(as, [...lead, m, k]), tf.tensor(bs, bShape)).dataSync()
        );
        const want = new Float32Array(rows * n);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let p = 0; p < k; p++) {
              acc = madd(as[i * k + p], bs[p * n + j], acc);
            }
            want[i * n + j] = acc;
          }
        }
        assert.deepEqual(y, want);
      },
    ),
    { numRuns: 60, seed: 46 },
  );
});
