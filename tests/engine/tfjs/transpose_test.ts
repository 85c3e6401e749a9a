/**
 * The wasm Transpose replacement (engine/tfjs/transpose.ts) against the stock kernel it replaces:
 * same shape and the same bits on random float32 matrices (sizes multiples of 4 take the SIMD loop,
 * others the stock kernel) and on rank 3-4 permutations; tf.transpose reaches it; int32 still
 * transposes through the stock kernel.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { stockTranspose } from "../../../engine/tfjs/transpose.ts";

await initBackend("wasm");

const bits = (t: tf.Tensor) =>
  Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

function sameAsStock(shape: number[], perm: number[], seed: number) {
  const stock = stockTranspose()!;
  const x = tf.randomNormal(shape, 0, 1, "float32", seed);
  const y = tf.transpose(x, perm);
  const info = stock({ inputs: { x }, backend: tf.backend(), attrs: { perm } }) as tf.TensorInfo;
  const want = tf.engine().makeTensorFromTensorInfo(info);
  assert.deepEqual(y.shape, want.shape);
  assert.deepEqual(bits(y), bits(want));
  tf.dispose([x, y, want]);
}

Deno.test("wasm Transpose: matrices, the stock kernel's shape and bits", () => {
  const stock = stockTranspose();
  assert.ok(stock !== undefined && tf.getKernel(tf.Transpose, "wasm")!.kernelFunc !== stock);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 1 << 30 }),
      (r, c, fours, seed) => sameAsStock(fours ? [4 * r, 4 * c] : [r, c], [1, 0], seed),
    ),
    { numRuns: 100 },
  );
  sameAsStock([1024, 64], [1, 0], 3);
});

Deno.test("wasm Transpose: rank 3-4 permutations through the stock kernel", () => {
  sameAsStock([2, 4, 8], [0, 2, 1], 4);
  sameAsStock([3, 4, 2, 8], [0, 2, 1, 3], 5);
});

Deno.test("wasm Transpose: int32 through the stock kernel", () => {
  const x = tf.tensor2d(
    [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
    [4, 4],
    "int32",
  );
  const y = tf.transpose(x);
  assert.deepEqual(y.arraySync(), [[1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15], [4, 8, 12, 16]]);
  tf.dispose([x, y]);
});
