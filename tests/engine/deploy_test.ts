/**
 * Deployment: every binarizer's trained network, exported to a model file and run on the packed
 * kernels, predicts what the tfjs-simulated network predicts; random BatchNorm statistics (with
 * negative slopes), thresholds and output scales exercise every folding path on every
 * architecture; the file format refuses bad input with one-line errors; the float glue kernels
 * equal their definitions.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend, tf } from "../../engine/tf.ts";
import { buildModel, type Model } from "../../engine/nn/model.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { finalState, train } from "../../engine/nn/train.ts";
import { binarizerNames } from "../../engine/binarizers/mod.ts";
import { exportModel } from "../../engine/deploy/export.ts";
import { DeployRuntime } from "../../engine/deploy/runtime.ts";
import {
  decodeDeployed,
  DEPLOY_MAGIC,
  packBitStream,
  sizeBreakdown,
  unpackBitStream,
} from "../../engine/deploy/format.ts";
import { BinaryKernels } from "../../engine/kernels/wasm.ts";
import { UserError } from "../../engine/errors.ts";
import { Rng } from "../../engine/rng.ts";
import { agreement } from "../../tracks/infer/track.ts";
import { installPlugins } from "../../app/plugins.ts";
import { nativeForTests } from "./kernels/native_fixture.ts";

installPlugins();

await initBackend("wasm");
const kernels = await BinaryKernels.load();
const ALL = binarizerNames();

const data = await loadDataset("mnist", { seed: 0, limit: { train: 96, val: 32, test: 256 } });

function build(name: string, binarizer: string, seed = 1): Model {
  return buildModel(name, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    binarizer,
    seed,
    width: 1,
  });
}

Deno.test("every binarizer: the deployed trained cnn predicts what tfjs predicts (>= 99.9%), batch-1 path = unplanned path bit for bit", async () => {
  for (const b of ALL) {
    const model = build("cnn", b);
    try {
      train(model, data, {
        optimizer: "adam",
        lr: 2e-3,
        momentum: 0.9,
        weightDecay: 0,
        schedule: "cosine",
        epochs: 1,
        batchSize: 32,
        seed: 0,
      });
      const state = finalState(b, 1);
      const rt = await DeployRuntime.load(exportModel(model, { state }), { kernels });
      const ag = agreement(model, rt, data.test, state);
      // The batch-1 optimisations (conv plans, the fp head on the kernels) change no bit: the
      // same logits as the unplanned path, at batch 1 image by image and on the whole split.
      const un = await DeployRuntime.load(exportModel(model, { state }), {
        kernels,
        unplanned: true,
      });
      const px = data.test.x.length / data.test.n;
      for (const n of [1, 1, 7, data.test.n]) {
        for (let s0 = 0; s0 + n <= Math.min(data.test.n, n === 1 ? 24 : data.test.n); s0 += n) {
          const x = data.test.x.subarray(s0 * px, (s0 + n) * px);
          const got = rt.run(x, n), want = un.run(x, n);
          assert.ok(
            got.every((v, i) => Object.is(v, want[i])),
            `${b}: batch ${n} at ${s0}: logits differ from the unplanned path: ${got} vs ${want}`,
          );
        }
      }
      rt.dispose();
      un.dispose();
      assert.ok(ag.agreement >= 0.999, `${b}: agreement ${ag.agreement} on ${data.test.n}`);
      assert.ok(ag.maxLogitDiff < 1e-3, `${b}: logits differ by ${ag.maxLogitDiff}`);
    } finally {
      model.store.dispose();
    }
  }
});

/** Random BatchNorm statistics (some negative slopes), thresholds and output scales. */
function randomize(model: Model, seed: number): void {
  const rng = new Rng(seed);
  const u = (a: number, b: number) => a + (b - a) * rng.next();
  for (const [name, e] of model.store.entries) {
    const n = e.variable.size;
    let f: ((i: number) => number) | null = null;
    if (name.endsWith("/mean")) f = () => u(-0.5, 0.5);
    else if (name.endsWith("/var")) f = () => u(0.3, 2);
    else if (name.endsWith("/gamma")) f = (i) => (i % 5 === 3 ? -1 : 1) * u(0.3, 1.5);
    else if (name.endsWith("/beta")) f = () => u(-0.5, 0.5);
    else if (name.endsWith("react.t")) f = (i) => (i === 0 ? 1.5 : i === 1 ? -1.5 : u(-0.4, 0.4));
    else if (name.endsWith("xnorpp.alpha") || name.endsWith("recu.alpha")) {
      f = (i) => (i % 7 === 2 ? -1 : 1) * u(0.2, 1.5);
    } else if (name.endsWith("xnorpp.beta") || name.endsWith("xnorpp.gamma")) f = () => u(0.5, 1.5);
    if (!f) continue;
    const v = Float32Array.from({ length: n }, (_, i) => f!(i));
    tf.tidy(() => e.variable.assign(tf.tensor(v, e.variable.shape)));
  }
}

Deno.test("every binarizer x architecture, random BatchNorm / thresholds / scales: logits match", async () => {
  const test = { x: data.test.x.subarray(0, 64 * 784), y: data.test.y.subarray(0, 64), n: 64 };
  for (const arch of ["mlp", "cnn", "vgg-small", "resnet20"]) {
    for (const b of ALL) {
      const model = build(arch, b, 7);
      try {
        randomize(model, 11);
        const state = finalState(b, 1);
        const rt = await DeployRuntime.load(exportModel(model, { state }), { kernels });
        const ag = agreement(model, rt, test, state);
        rt.dispose();
        assert.ok(ag.agreement >= 63 / 64, `${arch}/${b}: agreement ${ag.agreement}`);
        assert.ok(ag.maxLogitDiff < 1e-2, `${arch}/${b}: logits differ by ${ag.maxLogitDiff}`);
      } finally {
        model.store.dispose();
      }
    }
  }
});

Deno.test("native kernels: every binarizer x architecture, random folding, logits = the WebAssembly runtime's bit for bit", async () => {
  const nat = await nativeForTests();
  if (nat === undefined) return; // the fixture printed why (no compiler or no --allow-ffi)
  kernels.attachNative(nat);
  const n = 9, x = data.test.x.subarray(0, n * 784);
  for (const arch of ["mlp", "cnn", "vgg-small", "resnet20"]) {
    for (const b of ALL) {
      const model = build(arch, b, 5);
      try {
        randomize(model, 13);
        const bytes = exportModel(model, { state: finalState(b, 1) });
        const rt = await DeployRuntime.load(bytes, { kernels });
        const want = [rt.run(x, n), rt.run(x.subarray(0, 784), 1)];
        rt.dispose();
        const nrt = await DeployRuntime.load(bytes, { kernels, kernel: "native" });
        for (const isa of nat.isas) {
          for (const threads of [1, 2]) {
            nat.isa = isa;
            nat.threads = threads;
            nat.exactThreads = true;
            const got = [nrt.run(x, n), nrt.run(x.subarray(0, 784), 1)];
            for (let i = 0; i < 2; i++) {
              const d = got[i].findIndex((v, j) => !Object.is(v, want[i][j]));
              assert.ok(d < 0, `${arch}/${b} ${isa} x${threads}: logit ${d} differs`);
            }
          }
        }
        nrt.dispose();
      } finally {
        model.store.dispose();
      }
    }
  }
  nat.isa = nat.fastest;
  nat.threads = 1;
  nat.exactThreads = false;
});

Deno.test("export refuses a network whose forward is not the deployable sign form", () => {
  const model = build("cnn", "fda");
  try {
    // fda's noise-adaptation term is still on (alpha > 0) before the last epoch.
    assert.throws(
      () => exportModel(model, { state: { n: 9, alpha: 0.05 } }),
      (e: Error) =>
        e instanceof UserError && /cannot deploy/.test(e.message) && !e.message.includes("\n"),
    );
  } finally {
    model.store.dispose();
  }
});

Deno.test("model file: versioned header, bit-packed weights, one-line errors on bad files", () => {
  const model = build("cnn", "bnn");
  try {
    const bytes = exportModel(model, { state: {} });
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), DEPLOY_MAGIC);
    const m = decodeDeployed(bytes);
    assert.equal(m.header.version, 1);
    assert.equal(m.header.model, "cnn");
    // Binarized weights cost one bit each: 16*32*9 + 32*32*9 + 32*64*9 + 64*64*9 bits.
    const bits = (16 * 32 + 32 * 32 + 32 * 64 + 64 * 64) * 9;
    const size = sizeBreakdown(bytes);
    assert.equal(size.binaryWeights, bits / 8);
    assert.equal(
      size.total,
      size.header + size.binaryWeights + size.floatWeights + size.channelVectors,
    );
    for (const t of m.header.tensors) assert.equal(t.offset % 16, 0);
    const oneLine = (re: RegExp) => (e: Error) =>
      e instanceof UserError && re.test(e.message) && !e.message.includes("\n");
    assert.throws(() => decodeDeployed(new Uint8Array(8), "m.bbdm"), oneLine(/bad magic/));
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    assert.throws(() => decodeDeployed(v2, "m.bbdm"), oneLine(/format version 2/));
    assert.throws(() => decodeDeployed(bytes.subarray(0, 40), "m.bbdm"), oneLine(/truncated/));
    assert.throws(
      () => decodeDeployed(bytes.subarray(0, bytes.length - 100), "m.bbdm"),
      oneLine(/out of range/),
    );
  } finally {
    model.store.dispose();
  }
});

Deno.test("bit streams round-trip (sign(0) = +1)", () => {
  fc.assert(
    fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 200 }), (xs) => {
      const back = unpackBitStream(packBitStream(xs), xs.length);
      xs.forEach((x, i) => assert.equal(back[i], x < 0 ? -1 : 1));
    }),
  );
});

// ------------------------------------------------------------------------------ float glue kernels

const f32 = Math.fround;

Deno.test("glue: packF32 = bit (x*ps + pb < 0) for any channel count and stride", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer(),
      (c, rows, extra, seed) => {
        const rng = new Rng(seed >>> 0);
        const x = Float32Array.from(
          { length: rows * c },
          (_, i) => i % 11 === 0 ? 0 : rng.normal(),
        );
        const ps = Float32Array.from({ length: c }, (_, i) => i % 9 === 4 ? 0 : rng.normal());
        const pb = Float32Array.from({ length: c }, () => rng.normal());
        const stride = Math.ceil(c / 32) + extra;
        const out = kernels.residentU32(rows * stride);
        out.fill(0xffffffff);
        const m = kernels.mark();
        kernels.packF32(x, rows, c, ps, pb, out, stride);
        kernels.release(m);
        const got = kernels.refresh(out);
        for (let r = 0; r < rows; r++) {
          for (let q = 0; q < stride; q++) {
            let want = 0;
            for (let b = 0; b < 32; b++) {
              const ch = q * 32 + b;
              if (ch < c && f32(f32(x[r * c + ch] * ps[ch]) + pb[ch]) < 0) want |= 1 << b;
            }
            assert.equal(got[r * stride + q], want >>> 0);
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("glue: poolF32 (max / min per channel, act), affineF32, dotsF32, meanAbsF32", () => {
  const rng = new Rng(5);
  const [n, h, w, c] = [2, 5, 6, 8];
  const x = Float32Array.from({ length: n * h * w * c }, () => rng.normal() * 2);
  const minCh = Uint8Array.from({ length: c }, (_, i) => (i % 3 === 1 ? 1 : 0));
  const out = kernels.residentF32(n * 2 * 3 * c);
  kernels.poolF32(x, n, h, w, c, minCh, "hardtanh", out);
  const got = kernels.refresh(out);
  for (let s = 0; s < n; s++) {
    for (let y = 0; y < 2; y++) {
      for (let xq = 0; xq < 3; xq++) {
        for (let ch = 0; ch < c; ch++) {
          const v = [0, 1].flatMap((dy) =>
            [0, 1].map((dx) => x[((s * h + 2 * y + dy) * w + 2 * xq + dx) * c + ch])
          );
          const p = minCh[ch] ? Math.min(...v) : Math.max(...v);
          assert.equal(got[((s * 2 + y) * 3 + xq) * c + ch], Math.max(-1, Math.min(1, p)));
        }
      }
    }
  }
  const scale = Float32Array.from({ length: c }, () => rng.normal());
  const bias = Float32Array.from({ length: c }, () => rng.normal());
  const aff = kernels.residentF32(x.length);
  kernels.affineF32(x, x.length / c, c, scale, bias, "relu", aff);
  const ga = kernels.refresh(aff);
  for (let i = 0; i < x.length; i++) {
    assert.equal(ga[i], Math.max(0, f32(f32(x[i] * scale[i % c]) + bias[i % c])));
  }
  // dots_f32: one scale row per sample (div = pixels per sample, period = samples).
  const rows = n * h * w, npix = h * w;
  const dots = Int32Array.from({ length: rows * c }, () => rng.int(200) - 100);
  const sc = Float32Array.from({ length: n * c }, () => rng.normal());
  const dd = kernels.residentF32(rows * c);
  kernels.dotsF32(dots, rows, c, sc, npix, n, bias, dd);
  const gd = kernels.refresh(dd);
  for (let r = 0; r < rows; r++) {
    for (let ch = 0; ch < c; ch++) {
      const s = sc[Math.floor(r / npix) * c + ch];
      assert.equal(gd[r * c + ch], f32(f32(dots[r * c + ch] * s) + bias[ch]));
    }
  }
  // mean |x| per sample equals tfjs-wasm's Mean bit for bit.
  for (const len of [7, 784, 6272]) {
    const v = Float32Array.from({ length: 3 * len }, () => rng.normal());
    const mine = kernels.meanAbsF32(v, 3, len);
    const ref = tf.tidy(() => tf.mean(tf.abs(tf.tensor2d(v, [3, len])), 1).dataSync());
    assert.deepEqual([...mine], [...ref], `len ${len}`);
  }
});

Deno.test("glue: convF32Pack = sign pack of tfjs conv2d (same padding) for cin 1 and 3", () => {
  const rng = new Rng(9);
  for (const [n, h, w, cin, cout] of [[2, 7, 6, 1, 16], [1, 5, 5, 3, 32]]) {
    const x = Float32Array.from({ length: n * h * w * cin }, () => rng.normal());
    const wt = Float32Array.from({ length: 9 * cin * cout }, () => rng.normal());
    const bias = Float32Array.from({ length: cout }, () => rng.normal() * 0.1);
    const ps = Float32Array.from({ length: cout }, (_, i) => (i % 4 === 1 ? -1 : 1) * rng.next());
    const pb = Float32Array.from({ length: cout }, () => rng.normal() * 0.1);
    const y = tf.tidy(() =>
      tf.conv2d(tf.tensor4d(x, [n, h, w, cin]), tf.tensor4d(wt, [3, 3, cin, cout]), 1, "same")
        .add(tf.tensor1d(bias)).dataSync()
    );
    const cw = Math.ceil(cout / 32);
    const out = kernels.residentU32(n * h * w * cw);
    kernels.convF32Pack(x, n, h, w, cin, 3, wt, cout, bias, ps, pb, out);
    const got = kernels.refresh(out);
    let differ = 0;
    for (let p = 0; p < n * h * w; p++) {
      for (let c = 0; c < cout; c++) {
        const v = f32(f32(y[p * cout + c] * ps[c]) + pb[c]);
        const bit = (got[p * cw + (c >>> 5)] >>> (c & 31)) & 1;
        // Summation order differs from XNNPACK's: only values within rounding of 0 may differ.
        if (bit !== (v < 0 ? 1 : 0)) {
          differ++;
          assert.ok(Math.abs(v) < 1e-5, `pixel ${p} channel ${c}: ${v}`);
        }
      }
    }
    assert.ok(differ <= 1);
  }
});

/**
 * convF32Pack's exact definition: per output, the float32 sum from bias[co] over the in-bounds
 * taps in the order ky, kx, ci (each product and sum rounded, no FMA), then
 * bit = fround(fround(sum * ps) + pb) < 0.
 */
function convF32PackRef(
  x: Float32Array,
  n: number,
  h: number,
  w: number,
  cin: number,
  k: number,
  wt: Float32Array,
  cout: number,
  bias: Float32Array,
  ps: Float32Array,
  pb: Float32Array,
  sums?: Float32Array,
): Uint32Array {
  const pad = (k - 1) >> 1, cw = Math.ceil(cout / 32);
  const out = new Uint32Array(n * h * w * cw);
  for (let s = 0; s < n; s++) {
    for (let y = 0; y < h; y++) {
      for (let xo = 0; xo < w; xo++) {
        const p = (s * h + y) * w + xo;
        for (let co = 0; co < cout; co++) {
          let acc = bias[co];
          for (let ky = 0; ky < k; ky++) {
            const iy = y + ky - pad;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = xo + kx - pad;
              if (ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cin; ci++) {
                const v = x[((s * h + iy) * w + ix) * cin + ci];
                acc = f32(acc + f32(v * wt[((ky * k + kx) * cin + ci) * cout + co]));
              }
            }
          }
          if (sums) sums[p * cout + co] = acc;
          if (f32(f32(acc * ps[co]) + pb[co]) < 0) out[p * cw + (co >>> 5)] |= 1 << (co & 31);
        }
      }
    }
  }
  return out;
}

Deno.test("glue: convF32Pack equals its float32 definition bit for bit (interior pairs, borders)", () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        n: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 1, max: 8 }),
        w: fc.integer({ min: 1, max: 9 }),
        cin: fc.integer({ min: 1, max: 4 }),
        k: fc.constantFrom(1, 3, 5),
        cout: fc.constantFrom(16, 32, 48),
      }),
      ({ seed, n, h, w, cin, k, cout }) => {
        const rng = new Rng(seed);
        // Exact zeros and ties exercise the signed-zero and rounding paths.
        const val = () => (rng.next() < 0.1 ? 0 : f32(rng.normal()));
        const x = Float32Array.from({ length: n * h * w * cin }, val);
        const wt = Float32Array.from({ length: k * k * cin * cout }, val);
        const bias = Float32Array.from({ length: cout }, () => (rng.next() < 0.2 ? 0 : val()));
        const ps = Float32Array.from({ length: cout }, () => (rng.next() < 0.1 ? 0 : val()));
        const pb = Float32Array.from({ length: cout }, () => (rng.next() < 0.3 ? 0 : val()));
        // Half the channels put one pixel's value exactly on 0 (x * ps + pb == 0): a sum that
        // differs from the definition in its last bit (another order, an FMA) flips its sign.
        const sums = new Float32Array(n * h * w * cout);
        convF32PackRef(x, n, h, w, cin, k, wt, cout, bias, ps, pb, sums);
        const pix = rng.int(n * h * w);
        for (let co = 0; co < cout; co += 2) pb[co] = -f32(sums[pix * cout + co] * ps[co]);
        const out = kernels.residentU32(n * h * w * Math.ceil(cout / 32));
        kernels.convF32Pack(x, n, h, w, cin, k, wt, cout, bias, ps, pb, out);
        const want = convF32PackRef(x, n, h, w, cin, k, wt, cout, bias, ps, pb);
        assert.deepEqual([...kernels.refresh(out)], [...want]);
      },
    ),
    { numRuns: 200, seed: 17 },
  );
});

Deno.test("glue: poolBits = AND (max) / OR (min channels) of 2x2 packed signs", () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        n: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 2, max: 9 }),
        w: fc.integer({ min: 2, max: 9 }),
        cw: fc.integer({ min: 1, max: 3 }),
      }),
      ({ seed, n, h, w, cw }) => {
        const rng = new Rng(seed);
        const x = kernels.residentU32(n * h * w * cw);
        for (let i = 0; i < x.length; i++) x[i] = rng.nextU32();
        const minWords = Uint32Array.from({ length: cw }, () => rng.nextU32());
        const oh = h >> 1, ow = w >> 1;
        const out = kernels.residentU32(n * oh * ow * cw);
        kernels.poolBits(x, n, h, w, cw, minWords, out);
        const src = kernels.refresh(x), got = kernels.refresh(out);
        for (let s = 0; s < n; s++) {
          for (let y = 0; y < oh; y++) {
            for (let xq = 0; xq < ow; xq++) {
              for (let q = 0; q < cw; q++) {
                const at = (dy: number, dx: number) =>
                  src[((s * h + 2 * y + dy) * w + 2 * xq + dx) * cw + q];
                const [a, b, c, d] = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
                const m = minWords[q];
                const want = ((a & b & c & d & ~m) | ((a | b | c | d) & m)) >>> 0;
                assert.equal(got[((s * oh + y) * ow + xq) * cw + q], want);
              }
            }
          }
        }
      },
    ),
    { numRuns: 100, seed: 23 },
  );
});
