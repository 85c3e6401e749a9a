/**
 * Correctness of the bit-packed binary kernels: the TypeScript reference, both WebAssembly
 * families ("lut", "popcnt") and every native ISA path present (native_fixture.ts) against a float tfjs computation of the same +/-1 tensors (exact
 * integer equality), and against each other, on random shapes (K off any word multiple, odd sizes,
 * stride 2, same/valid padding, batch > 1, 1..130 channels).
 */
import fc from "fast-check";
import { initBackend, tf } from "../../../engine/tf.ts";
import { Rng } from "../../../engine/rng.ts";
import {
  packHWIO,
  packNHWC,
  packOHWI,
  packRows,
  realignRows,
  unpackNHWC,
  unpackRows,
} from "../../../engine/kernels/pack.ts";
import * as ref from "../../../engine/kernels/ref.ts";
import { BinaryKernels } from "../../../engine/kernels/wasm.ts";
import { implementations, use } from "./native_fixture.ts";
import { affine, affineSignBit, signThresholds } from "../../../engine/kernels/transform.ts";
import { convGeometry, type Padding } from "../../../engine/kernels/geometry.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();

/** Every implementation present (set by `setup`). */
let FAMILIES: string[] = ["lut", "popcnt"];

function assert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  const d = firstDiff(got, want);
  assert(
    d === -1,
    d === -2
      ? `${what}: length ${got.length} vs ${want.length}`
      : `${what}: index ${d}: got ${got[d]}, want ${want[d]}`,
  );
}

/** Random values with their signs balanced, some exact zeros (sign(0) = +1) and -0. */
function values(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    out[i] = u < 0.05 ? 0 : u < 0.08 ? -0 : rng.next() * 2 - 1;
  }
  return out;
}

/** The +/-1 tensor a packed kernel sees. */
function signs(v: Float32Array): Float32Array {
  return v.map((x) => (x < 0 ? -1 : 1));
}

let kernels: BinaryKernels;
let ready = false;
async function setup(): Promise<BinaryKernels> {
  if (!ready) {
    // The cpu backend: tfjs-wasm 4.22 gets stride-2 "same" convs with non-square kernels wrong
    // (e.g. a 2x1 kernel on a 3x2 input returns zeros), so it cannot be the reference.
    await initBackend("cpu");
    kernels = await BinaryKernels.load();
    FAMILIES = await implementations(kernels);
    ready = true;
  }
  return kernels;
}

function tfMatMul(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Int32Array {
  return tf.tidy(() => {
    const c = tf.matMul(tf.tensor2d(signs(a), [m, k]), tf.tensor2d(signs(b), [n, k]), false, true);
    return Int32Array.from(c.dataSync());
  });
}

interface ConvCase {
  seed: number;
  n: number;
  h: number;
  w: number;
  c: number;
  o: number;
  kh: number;
  kw: number;
  stride: number;
  padding: Padding;
}

function tfConv(x: Float32Array, wHWIO: Float32Array, t: ConvCase): Int32Array {
  return tf.tidy(() => {
    const y = tf.conv2d(
      tf.tensor4d(signs(x), [t.n, t.h, t.w, t.c]),
      tf.tensor4d(signs(wHWIO), [t.kh, t.kw, t.c, t.o]),
      t.stride,
      t.padding,
    );
    return Int32Array.from(y.dataSync());
  });
}

const gemmShape = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  m: fc.integer({ min: 1, max: 9 }),
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.oneof(
    fc.integer({ min: 1, max: 140 }),
    fc.integer({ min: 140, max: 700 }),
    fc.constantFrom(31, 32, 33, 63, 64, 65, 127, 128, 129, 252, 253, 256),
  ),
});

Deno.test("pack: sign convention, padding bits and round trip", () => {
  const v = Float32Array.from([-1, 0, -0, 2, -0.5, 1e-30, -1e-30, 3]);
  const p = packRows(v, 1, v.length, 1);
  assert(p.strideWords === 1, "one word");
  assert(p.data[0] === 0b01010001, `bits ${p.data[0].toString(2)}`);
  assertSame(unpackRows(p), [-1, 1, 1, 1, -1, 1, -1, 1], "unpack");
  const rng = new Rng(7);
  for (const k of [1, 31, 32, 33, 100, 129]) {
    const x = values(rng, 3 * k);
    const q = packRows(x, 3, k);
    assert(q.strideWords % 4 === 0, "128-bit rows by default");
    assertSame(unpackRows(q), signs(x), `round trip k=${k}`);
    assertSame(unpackRows(realignRows(q, 1)), signs(x), "realign");
    for (let r = 0; r < 3; r++) {
      for (let i = k; i < q.strideWords * 32; i++) {
        assert(((q.data[r * q.strideWords + (i >>> 5)] >>> (i & 31)) & 1) === 0, "padding is 0");
      }
    }
  }
  const x = values(rng, 2 * 3 * 4 * 37);
  assertSame(unpackNHWC(packNHWC(x, 2, 3, 4, 37)), signs(x), "nhwc round trip");
  // HWIO and OHWI packings agree.
  const hwio = values(rng, 3 * 2 * 37 * 5);
  const ohwi = new Float32Array(hwio.length);
  for (let t = 0; t < 6; t++) {
    for (let i = 0; i < 37; i++) {
      for (let o = 0; o < 5; o++) ohwi[(o * 6 + t) * 37 + i] = hwio[(t * 37 + i) * 5 + o];
    }
  }
  assertSame(packHWIO(hwio, 3, 2, 37, 5).data, packOHWI(ohwi, 5, 3, 2, 37).data, "hwio vs ohwi");
});

Deno.test("ref: SWAR popcount", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 2000; i++) {
    const x = rng.nextU32();
    let c = 0;
    for (let b = 0; b < 32; b++) c += (x >>> b) & 1;
    assert(ref.popcount32(x) === c, `popcount ${x}`);
  }
  assert(ref.popcount32(0xffffffff) === 32, "all ones");
});

Deno.test("gemm: reference and wasm (lut, popcnt) equal tf.matMul of +/-1", async () => {
  const k = await setup();
  fc.assert(
    fc.property(gemmShape, ({ seed, m, n, k: kk }) => {
      const rng = new Rng(seed);
      const av = values(rng, m * kk), bv = values(rng, n * kk);
      const a = packRows(av, m, kk), b = packRows(bv, n, kk);
      const want = tfMatMul(av, bv, m, n, kk);
      assertSame(ref.gemm(a, b), want, `ref ${m}x${n}x${kk}`);
      assertSame(ref.gemm(realignRows(a, 1), realignRows(b, 1)), want, "ref on tight rows");
      for (const kernel of FAMILIES) {
        assertSame(k.gemm(a, b, use(k, kernel)), want, `${kernel} ${m}x${n}x${kk}`);
      }
      assertSame(k.gemm(realignRows(a, 1), b), want, "wasm on tight A rows");
    }),
    { numRuns: 300, seed: 1234 },
  );
});

Deno.test("gemm: long K (popcnt u8 chunks of 31 words), many rows, prepared weights", async () => {
  const k = await setup();
  const rng = new Rng(11);
  for (const [m, n, kk] of [[3, 5, 5000], [131, 70, 300], [66, 129, 1024], [67, 64, 200]]) {
    const av = values(rng, m * kk), bv = values(rng, n * kk);
    const a = packRows(av, m, kk), b = packRows(bv, n, kk);
    const want = tfMatMul(av, bv, m, n, kk);
    assertSame(ref.gemm(a, b), want, `ref ${m}x${n}x${kk}`);
    const bp = k.prepareDense(b);
    for (const kernel of FAMILIES) {
      assertSame(k.gemm(a, bp, use(k, kernel)), want, `${kernel} ${m}x${n}x${kk}`);
      assertSame(k.dense(a, b, use(k, kernel)), want, `dense ${kernel}`);
    }
  }
});

const convCase: fc.Arbitrary<ConvCase> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  c: fc.oneof(fc.integer({ min: 1, max: 130 }), fc.constantFrom(1, 3, 32, 33, 64, 65, 128, 130)),
  o: fc.integer({ min: 1, max: 40 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  stride: fc.constantFrom(1, 2),
  padding: fc.constantFrom<Padding>("same", "valid"),
});

Deno.test("conv2d: reference and wasm (lut, popcnt) equal tf.conv2d of +/-1 (zero padding)", async () => {
  const k = await setup();
  fc.assert(
    fc.property(convCase, (t) => {
      const rng = new Rng(t.seed);
      const xv = values(rng, t.n * t.h * t.w * t.c);
      const wv = values(rng, t.kh * t.kw * t.c * t.o);
      const x = packNHWC(xv, t.n, t.h, t.w, t.c);
      const w = packHWIO(wv, t.kh, t.kw, t.c, t.o);
      const want = tfConv(xv, wv, t);
      const opts = { stride: t.stride, padding: t.padding };
      const what = JSON.stringify(t);
      assertSame(ref.conv2d(x, w, opts), want, `ref ${what}`);
      for (const kernel of FAMILIES) {
        assertSame(k.conv2d(x, w, opts, use(k, kernel)), want, `${kernel} ${what}`);
      }
    }),
    { numRuns: 300, seed: 4321 },
  );
});

Deno.test("conv2d: larger layers (direct-output paths too), prepared weights reused across geometries", async () => {
  const k = await setup();
  const rng = new Rng(5);
  for (const [n, h, wd, c, o] of [[2, 14, 13, 64, 70], [1, 17, 17, 64, 64], [3, 9, 11, 32, 32]]) {
    const wv = values(rng, 3 * 3 * c * o);
    const w = packHWIO(wv, 3, 3, c, o);
    const wp = k.prepareConv(w);
    const xv = values(rng, n * h * wd * c);
    const x = packNHWC(xv, n, h, wd, c);
    for (const stride of [1, 2]) {
      for (const padding of ["same", "valid"] as const) {
        const t = { seed: 0, n, h, w: wd, c, o, kh: 3, kw: 3, stride, padding };
        const want = tfConv(xv, wv, t);
        assertSame(ref.conv2d(x, w, { stride, padding }), want, `ref ${JSON.stringify(t)}`);
        for (const kernel of FAMILIES) {
          const got = k.conv2d(x, wp, { stride, padding }, use(k, kernel));
          assertSame(got, want, `${kernel} ${JSON.stringify(t)}`);
        }
      }
    }
  }
});

/** Random per-channel transforms, including negative and zero scales and exact ties. */
function transformArb(o: number, rng: Rng): { scale: Float32Array; bias: Float32Array } {
  const scale = new Float32Array(o), bias = new Float32Array(o);
  for (let i = 0; i < o; i++) {
    const u = rng.next();
    scale[i] = u < 0.1 ? 0 : u < 0.5 ? -(rng.next() * 2) : rng.next() * 2;
    // Some biases sit exactly on a dot's threshold (y == 0 is not negative).
    bias[i] = rng.next() < 0.3 ? Math.fround(-scale[i] * (rng.int(21) - 10)) : rng.next() * 20 - 10;
  }
  return { scale, bias };
}

Deno.test("fused transforms: affine and packed sign outputs, wasm == reference", async () => {
  const k = await setup();
  fc.assert(
    fc.property(convCase, (t) => {
      const rng = new Rng(t.seed ^ 0x5bd1e995);
      const x = packNHWC(values(rng, t.n * t.h * t.w * t.c), t.n, t.h, t.w, t.c);
      const w = packOHWI(values(rng, t.o * t.kh * t.kw * t.c), t.o, t.kh, t.kw, t.c);
      const { scale, bias } = transformArb(t.o, rng);
      const opts = { stride: t.stride, padding: t.padding };
      const dots = ref.conv2d(x, w, opts);
      const wantY = ref.conv2dAffine(x, w, opts, scale, bias);
      for (let i = 0; i < dots.length; i++) {
        assert(Object.is(wantY[i], affine(dots[i], scale[i % t.o], bias[i % t.o])), "ref affine");
      }
      const wantS = ref.conv2dSign(x, w, opts, scale, bias);
      const g = convGeometry(t.h, t.w, t.kh, t.kw, opts);
      assert(wantS.h === g.oh && wantS.w === g.ow && wantS.c === t.o, "sign output shape");
      for (const kernel of FAMILIES) {
        assertSame(
          k.conv2dAffine(x, w, opts, scale, bias, use(k, kernel)),
          wantY,
          `affine ${kernel}`,
        );
        const s = k.conv2dSign(x, w, opts, scale, bias, use(k, kernel));
        assertSame(s.data, wantS.data, `sign ${kernel} ${JSON.stringify(t)}`);
      }
      // Dense: batch rows x features, packed output rows aligned for a next GEMM.
      const m = t.n * t.h, kk = t.w * t.c;
      const a = packRows(values(rng, m * kk), m, kk);
      const b = packRows(values(rng, t.o * kk), t.o, kk);
      const gy = ref.gemmAffine(a, b, scale, bias);
      const gs = ref.gemmSign(a, b, scale, bias, 4);
      for (const kernel of FAMILIES) {
        assertSame(k.gemmAffine(a, b, scale, bias, use(k, kernel)), gy, `gemm affine ${kernel}`);
        const s = k.gemmSign(a, b, scale, bias, { ...use(k, kernel), align: 4 });
        assert(s.strideWords === gs.strideWords, "sign stride");
        assertSame(s.data, gs.data, `gemm sign ${kernel}`);
      }
    }),
    { numRuns: 150, seed: 99 },
  );
});

Deno.test("conv plans (tables built once at load) and cached thresholds equal the unplanned calls", async () => {
  const k = await setup();
  fc.assert(
    fc.property(convCase, (t) => {
      const rng = new Rng(t.seed ^ 0x2545f491);
      const x = packNHWC(values(rng, t.n * t.h * t.w * t.c), t.n, t.h, t.w, t.c);
      const w = packOHWI(values(rng, t.o * t.kh * t.kw * t.c), t.o, t.kh, t.kw, t.c, 4);
      const wp = k.prepareConv(w);
      const { scale, bias } = transformArb(t.o, rng);
      const opts = { stride: t.stride, padding: t.padding };
      const s0 = k.conv2dSign(x, wp, opts, scale, bias);
      assertSame(s0.data, ref.conv2dSign(x, w, opts, scale, bias).data, "cached sign thresholds");
      const p2 = k.planConv(t.h, t.w, wp, opts, 2, scale, bias);
      assert(p2 !== undefined, "sign outputs always plan");
      assertSame(
        k.conv2dSign(x, wp, opts, scale, bias, { plan: p2 }).data,
        s0.data,
        "planned sign",
      );
      const y0 = k.conv2dAffine(x, wp, opts, scale, bias);
      const p1 = k.planConv(t.h, t.w, wp, opts, 1, scale, bias);
      assert((p1 !== undefined) === (t.o % 16 === 0), "float outputs plan when o % 16 == 0");
      if (p1) assertSame(k.conv2dAffine(x, wp, opts, scale, bias, { plan: p1 }), y0, "planned f32");
      // Thresholds cached per scale vector follow its values when it changes in place.
      const bias2 = bias.map((b) => -b);
      scale.reverse();
      const want2 = k.conv2dSign(x, wp, opts, Float32Array.from(scale), bias2);
      assertSame(k.conv2dSign(x, wp, opts, scale, bias2).data, want2.data, "mutated scale");
    }),
    { numRuns: 80, seed: 7 },
  );
});

Deno.test("transform: integer thresholds equal the float rule on every reachable dot", () => {
  fc.assert(
    fc.property(
      fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.integer({ min: 1, max: 300 }),
      (s, b, maxDot) => {
        const { thr, flip } = signThresholds([s], [b], maxDot);
        for (let d = -maxDot; d <= maxDot; d++) {
          const bit = (d < thr[0] ? 1 : 0) ^ (flip[0] & 1);
          assert(bit === affineSignBit(d, s, b), `s=${s} b=${b} d=${d}`);
        }
      },
    ),
    { numRuns: 500, seed: 7 },
  );
  let threw = false;
  try {
    signThresholds([NaN], [0], 10);
  } catch {
    threw = true;
  }
  assert(threw, "non-finite scale rejected");
});

Deno.test("wasm: resident buffers are used in place and survive memory growth", async () => {
  const k = await BinaryKernels.load();
  const rng = new Rng(21);
  const m = 37, n = 45, kk = 300;
  const av = values(rng, m * kk), bv = values(rng, n * kk);
  const a = packRows(av, m, kk), b = packRows(bv, n, kk);
  const want = ref.gemm(a, b);
  const ra = k.residentRows(m, kk);
  ra.data.set(a.data);
  const out = k.residentI32(m * n);
  const bp = k.prepareDense(b);
  const got = k.gemm(ra, bp, { out });
  assert(got === out, "result written into the resident out");
  assertSame(out, want, "resident gemm");
  const before = k.memory.buffer.byteLength;
  k.alloc(before * 2); // forces memory growth: old views detach
  assert(k.memory.buffer.byteLength > before, "memory grew");
  const out2 = k.gemm(ra, bp, { out, kernel: "popcnt" }); // old objects still work by address
  assert(out2 === out, "same handle");
  assertSame(k.refresh(out), want, "refreshed view after growth");
  // A packed sign output feeds the next binary layer directly (two stacked convs).
  const x = packNHWC(values(rng, 2 * 6 * 7 * 20), 2, 6, 7, 20);
  const w1 = packOHWI(values(rng, 33 * 9 * 20), 33, 3, 3, 20);
  const w2 = packOHWI(values(rng, 8 * 9 * 33), 8, 3, 3, 33);
  const { scale, bias } = transformArb(33, rng);
  const opts = { stride: 1, padding: "same" as const };
  const h1 = k.conv2dSign(x, w1, opts, scale, bias);
  assertSame(h1.data, ref.conv2dSign(x, w1, opts, scale, bias).data, "layer 1 bits");
  assertSame(
    k.conv2d(h1, w2, { stride: 2, padding: "same" }),
    ref.conv2d(h1, w2, { stride: 2, padding: "same" }),
    "layer 2",
  );
});

Deno.test("lut fused stores: int32 / f32 / sign rows straight from the kernel, every border class", async () => {
  const k = await setup();
  const rng = new Rng(31);
  // o a multiple of 16 takes the direct int32 / float32 path (correction and transform in the
  // kernel's store), other o the raw-dots + epilogue path; signs are always fused.
  const cases: [number, number, number, number, number, number, 1 | 2, Padding][] = [
    // n, h, w, c, o, k, stride, padding
    [3, 7, 6, 13, 16, 3, 1, "same"],
    [2, 9, 8, 33, 48, 3, 2, "same"],
    [2, 5, 7, 20, 32, 5, 1, "same"],
    [1, 6, 6, 64, 64, 3, 2, "valid"],
    [2, 4, 5, 7, 17, 3, 1, "same"],
    [1, 3, 3, 100, 80, 3, 1, "same"],
  ];
  for (const [n, h, wd, c, o, kk, stride, padding] of cases) {
    const x = packNHWC(values(rng, n * h * wd * c), n, h, wd, c);
    const w = packOHWI(values(rng, o * kk * kk * c), o, kk, kk, c);
    const wp = k.prepareConv(w);
    const { scale, bias } = transformArb(o, rng);
    const opts = { stride, padding };
    const what = JSON.stringify({ n, h, wd, c, o, kk, stride, padding });
    assertSame(k.conv2d(x, wp, opts), ref.conv2d(x, w, opts), `int32 ${what}`);
    assertSame(
      k.conv2dAffine(x, wp, opts, scale, bias),
      ref.conv2dAffine(x, w, opts, scale, bias),
      `affine ${what}`,
    );
    assertSame(
      k.conv2dSign(x, wp, opts, scale, bias).data,
      ref.conv2dSign(x, w, opts, scale, bias).data,
      `sign ${what}`,
    );
    // A resident output written in place, and a batch with more pixels than one band.
    const out = k.residentI32(
      n * convGeometry(h, wd, kk, kk, opts).oh *
        convGeometry(h, wd, kk, kk, opts).ow * o,
    );
    k.conv2d(x, wp, opts, { out });
    assertSame(k.refresh(out), ref.conv2d(x, w, opts), `resident int32 ${what}`);
  }
});

Deno.test("lut: longest K (8191 nibble steps, sums up to 32764) is exact; beyond it popcnt", async () => {
  const k = await setup();
  const rng = new Rng(41);
  for (const kk of [16380, 32764]) {
    // Identical rows: every bit matches, the lane sums reach their maximum 4 * steps.
    const av = values(rng, 2 * kk);
    av.set(av.subarray(0, kk), kk);
    const a = packRows(av, 2, kk), b = packRows(av.subarray(0, 2 * kk), 2, kk);
    const want = ref.gemm(a, b);
    assert(want[0] === kk && want[3] === kk, "self dot = K");
    assertSame(k.gemm(a, b, { kernel: "lut" }), want, `lut K=${kk}`);
    const scale = [1, -0.5], bias = [-kk + 0.5, kk / 4];
    const s = k.gemmSign(a, b, scale, bias, { kernel: "lut", align: 4 });
    assertSame(s.data, ref.gemmSign(a, b, scale, bias, 4).data, `lut sign K=${kk}`);
    assertSame(
      k.gemmAffine(a, b, scale, bias, { kernel: "lut" }),
      ref.gemmAffine(a, b, scale, bias),
      `lut affine K=${kk}`,
    );
  }
  const kk = 32765;
  const av = values(rng, 3 * kk);
  const a = packRows(av, 3, kk);
  assertSame(k.gemm(a, a), ref.gemm(a, a), "default family past the lut limit");
  let threw = false;
  try {
    k.gemm(a, a, { kernel: "lut" });
  } catch {
    threw = true;
  }
  assert(threw, "lut refuses K past its limit");
});
