/**
 * The wasm convolution gradient kernels (engine/tfjs/grads.ts) against the reference `cpu` backend:
 * same random data, same loss, gradients must agree, and no tensor or buffer may leak.
 */
import assert from "node:assert/strict";
import { Rng } from "../../../engine/rng.ts";
import { initBackend, tf } from "../../../engine/tf.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;

/** One gradient check: a convolution, its geometry and its (seeded) data. */
interface Case {
  depthwise: boolean;
  xShape: Shape4;
  wShape: Shape4;
  strides: [number, number];
  pad: Pad;
  x: Float32Array;
  w: Float32Array;
  /** Weights of the loss sum(conv(x, w) · r); shaped like the convolution output. */
  r: Float32Array;
}

interface Grads {
  dx: Float32Array;
  dw: Float32Array;
}

const KERNELS: ReadonlyArray<[number, number]> = [
  [1, 1],
  [3, 3],
  [5, 5],
  [2, 2],
  [1, 3],
  [3, 1],
  [2, 3],
  [3, 5],
];
const REL_TOL = 1e-4;

function randomData(rng: Rng, size: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.normal();
  return a;
}

function randomPad(rng: Rng): Pad {
  const u = rng.next();
  if (u < 0.45) return "same";
  if (u < 0.9) return "valid";
  return [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A seeded random case: batch 1-4, H/W 5-12, channels 1-8 (multiplier 1-3), stride 1 or 2. */
function randomCase(rng: Rng, depthwise: boolean): Case {
  const [kh, kw] = KERNELS[rng.int(KERNELS.length)];
  const cin = 1 + rng.int(8);
  const xShape: Shape4 = [1 + rng.int(4), 5 + rng.int(8), 5 + rng.int(8), cin];
  const wShape: Shape4 = [kh, kw, cin, depthwise ? 1 + rng.int(3) : 1 + rng.int(8)];
  const strides: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
  const pad = randomPad(rng);
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    wShape,
    strides,
    1,
    pad,
    undefined,
    depthwise,
  );
  return {
    depthwise,
    xShape,
    wShape,
    strides,
    pad,
    x: randomData(rng, size(xShape)),
    w: randomData(rng, size(wShape)),
    r: randomData(rng, size(info.outShape)),
  };
}

function describe(c: Case): string {
  const pad = typeof c.pad === "string" ? c.pad : JSON.stringify(c.pad);
  const op = c.depthwise ? "depthwiseConv2d" : "conv2d";
  return `${op} x=[${c.xShape}] w=[${c.wShape}] strides=[${c.strides}] pad=${pad}`;
}

function conv(c: Case, x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return c.depthwise
    ? tf.depthwiseConv2d(x, w, c.strides, c.pad)
    : tf.conv2d(x, w, c.strides, c.pad);
}

/** Gradients of sum(conv(x, w) · r) on the current backend, as plain arrays. */
function gradients(c: Case): Grads {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const w = tf.tensor4d(c.w, c.wShape);
    const loss = (a: tf.Tensor, b: tf.Tensor) => {
      const y = conv(c, a as tf.Tensor4D, b as tf.Tensor4D);
      return tf.sum(tf.mul(y, tf.tensor(c.r, y.shape)));
    };
    const [dx, dw] = tf.grads(loss)([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

/** max |a−b| / max |b|: the error relative to the reference's scale. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(1e-6, scale);
}

async function gradientsOn(backend: "cpu" | "wasm", cases: Case[]): Promise<Grads[]> {
  await initBackend(backend);
  return cases.map(gradients);
}

async function checkAgainstCpu(depthwise: boolean, seed: number, count: number): Promise<void> {
  await initBackend("cpu");
  const rng = new Rng(seed);
  const cases = Array.from({ length: count }, () => randomCase(rng, depthwise));
  const expected = await gradientsOn("cpu", cases);
  const actual = await gradientsOn("wasm", cases);
  cases.forEach((c, i) => {
    for (const key of ["dx", "dw"] as const) {
      const err = relativeError(actual[i][key], expected[i][key]);
      assert.ok(err <= REL_TOL, `${describe(c)}: ${key} relative error ${err}`);
    }
  });
}

Deno.test("wasm registers the missing convolution gradient kernels", async () => {
  await initBackend("wasm");
  for (
    const name of [
      "Conv2DBackpropFilter",
      "Conv2DBackpropInput",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
    ]
  ) {
    assert.ok(tf.getKernel(name, "wasm"), `${name} is missing on wasm`);
  }
});

Deno.test("conv2d gradients on wasm match cpu", async () => {
  await checkAgainstCpu(false, 1234, 120);
});

Deno.test("depthwiseConv2d gradients on wasm match cpu", async () => {
  await checkAgainstCpu(true, 5678, 120);
});

Deno.test("conv gradients leak no tensors or wasm buffers", async () => {
  await initBackend("wasm");
  const rng = new Rng(99);
  const cases: Case[] = [];
  for (const depthwise of [false, true]) {
    // Stride 2 + valid on an even size needs an upsample and a crop: every scratch path runs.
    const [kh, kw] = [3, 3];
    const xShape: Shape4 = [2, 10, 9, 4];
    const wShape: Shape4 = [kh, kw, 4, depthwise ? 2 : 5];
    for (const pad of ["same", "valid"] as const) {
      const info = tf.backend_util.computeConv2DInfo(
        xShape,
        wShape,
        2,
        1,
        pad,
        undefined,
        depthwise,
      );
      cases.push({
        depthwise,
        xShape,
        wShape,
        strides: [2, 2],
        pad,
        x: randomData(rng, size(xShape)),
        w: randomData(rng, size(wShape)),
        r: randomData(rng, size(info.outShape)),
      });
    }
  }
  cases.forEach(gradients); // warm-up: first calls may allocate caches
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) cases.forEach(gradients);
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(tf.backend().numDataIds(), buffersBefore);
});

Deno.test("wasm gradient kernels reject what they do not support", async () => {
  await initBackend("wasm");
  const x = tf.ones([1, 5, 5, 2]);
  const dy = tf.ones([1, 5, 5, 2]);
  try {
    const nchw = { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 2, 2] };
    assert.throws(
      () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, nchw),
      /NHWC only/,
    );
    const dilated = { strides: 1, pad: "same", dilations: 2, filterShape: [3, 3, 2, 1] };
    assert.throws(
      () => tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, dilated),
      /dilation 1 only/,
    );
  } finally {
    tf.dispose([x, dy]);
  }
});
