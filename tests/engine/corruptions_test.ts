/**
 * The MNIST-C corruptions: each is deterministic for (image, corruption, seed, index), changes a
 * real digit by a plausible amount, keeps values in [0, 1], and has the property its name says
 * (exact for the simple ones). The PNG writer produces a valid file.
 */
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import fc from "fast-check";
import { loadDataset } from "../../engine/data/mod.ts";
import {
  corruptImage,
  CORRUPTION_NAMES,
  corruptSplit,
  getCorruption,
  MNIST_C,
} from "../../engine/corruptions/mod.ts";
import { plasmaFractal } from "../../engine/corruptions/mnist_c.ts";
import { canny } from "../../engine/corruptions/canny.ts";
import { crc32, encodePng } from "../../engine/corruptions/png.ts";
import { gridContent, renderGrid } from "../../engine/corruptions/grid.ts";
import { Rng } from "../../engine/rng.ts";

const mnist = await loadDataset("mnist", { limit: { test: 200 } });
const N = 24;
const digits = Array.from({ length: N }, (_, i) => mnist.test.x.slice(i * 784, (i + 1) * 784));

const meanAbsDiff = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};
const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

/**
 * Mean |corrupted - clean| per pixel over 24 MNIST test digits: measured values (seed 0) were
 * shot 0.046, impulse 0.086, glass 0.086, motion 0.101, shear 0.110, scale 0.112, rotate 0.115,
 * brightness 0.447, translate 0.192, stripe 0.495, fog 0.348, spatter 0.033, dotted 0.024,
 * zigzag 0.043, canny 0.163. The bounds say "visible but not a different image" for noise,
 * blur and overlays, and "most pixels move" for brightness, stripe and fog.
 */
const PLAUSIBLE: Record<string, [number, number]> = {
  shot_noise: [0.02, 0.09],
  impulse_noise: [0.06, 0.12],
  glass_blur: [0.04, 0.15],
  motion_blur: [0.05, 0.16],
  shear: [0.05, 0.18],
  scale: [0.05, 0.18],
  rotate: [0.05, 0.18],
  brightness: [0.38, 0.5],
  translate: [0.1, 0.3],
  stripe: [0.45, 0.5],
  fog: [0.2, 0.5],
  spatter: [0.01, 0.08],
  dotted_line: [0.01, 0.04],
  zigzag: [0.02, 0.07],
  canny_edges: [0.08, 0.25],
};

Deno.test("the 15 MNIST-C corruptions, in MNIST-C's order", () => {
  assert.deepEqual(CORRUPTION_NAMES, [
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "scale",
    "rotate",
    "brightness",
    "translate",
    "stripe",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
    "canny_edges",
  ]);
  assert.throws(() => getCorruption("snow"), /unknown corruption "snow" \(known: shot_noise/);
});

Deno.test("each corruption is deterministic, leaves its input alone, and seeds matter", () => {
  for (const c of MNIST_C) {
    const before = digits.map((d) => d.slice());
    const a = digits.map((d, i) => corruptImage(c.name, d, 7, i));
    const b = digits.map((d, i) => corruptImage(c.name, d, 7, i));
    assert.deepEqual(a, b, `${c.name} is not deterministic`);
    assert.deepEqual(digits, before, `${c.name} modified its input`);
    if (c.random) {
      const other = digits.map((d, i) => corruptImage(c.name, d, 8, i));
      assert.ok(
        other.some((o, i) => meanAbsDiff(o, a[i]) > 0),
        `${c.name}: the seed has no effect`,
      );
    }
  }
});

Deno.test("each corruption changes real digits by a plausible amount", () => {
  for (const name of CORRUPTION_NAMES) {
    let s = 0;
    digits.forEach((d, i) => (s += meanAbsDiff(corruptImage(name, d, 0, i), d)));
    const m = s / N;
    const [lo, hi] = PLAUSIBLE[name];
    assert.ok(m >= lo && m <= hi, `${name}: mean |change| ${m.toFixed(4)} outside [${lo}, ${hi}]`);
  }
});

Deno.test("corrupted images stay 784 finite values in [0, 1] (any input image)", () => {
  fc.assert(
    fc.property(
      fc.float32Array({ minLength: 784, maxLength: 784, min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 1000 }),
      (img, index) => {
        for (const name of CORRUPTION_NAMES) {
          const y = corruptImage(name, img, 3, index);
          assert.equal(y.length, 784);
          for (const v of y) assert.ok(v >= 0 && v <= 1, `${name}: value ${v}`);
        }
      },
    ),
    { numRuns: 12 },
  );
});

Deno.test("the simple corruptions are exactly what their names say", () => {
  const x = digits[0];
  // brightness: clip(x + 0.5)
  const br = corruptImage("brightness", x, 0, 0);
  x.forEach((v, i) => assert.ok(Math.abs(br[i] - Math.min(1, v + 0.5)) < 1e-6));
  // stripe: 7 columns inverted on each side, the middle untouched; an involution
  const st = corruptImage("stripe", x, 0, 0);
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const want = c < 7 || c >= 21 ? 1 - x[r * 28 + c] : x[r * 28 + c];
      assert.ok(Math.abs(st[r * 28 + c] - want) < 1e-6);
    }
  }
  assert.deepEqual(
    corruptImage("stripe", st, 0, 0).map((v) => Math.round(v * 1e5)),
    x.map((v) => Math.round(v * 1e5)),
  );
  // translate: an exact shift by 3 px on both axes, one of the four directions
  const tr = corruptImage("translate", x, 0, 0);
  const shifted = (dx: number, dy: number) =>
    Float32Array.from({ length: 784 }, (_, i) => {
      const r = Math.floor(i / 28) + dy, c = (i % 28) + dx;
      return r >= 0 && r < 28 && c >= 0 && c < 28 ? x[r * 28 + c] : 0;
    });
  assert.ok(
    [[3, 3], [3, -3], [-3, 3], [-3, -3]].some(([dx, dy]) =>
      meanAbsDiff(shifted(dx, dy), tr) < 1e-6
    ),
  );
  // scale shrinks to 70%: ink falls to ~0.7^2 of the original
  const ratio = sum(corruptImage("scale", x, 0, 0)) / sum(x);
  assert.ok(ratio > 0.38 && ratio < 0.62, `scale kept ${ratio} of the ink`);
  // rotate / shear keep the ink (the digit stays inside the frame)
  for (const name of ["rotate", "shear"]) {
    const r = sum(corruptImage(name, x, 0, 0)) / sum(x);
    assert.ok(r > 0.85 && r < 1.15, `${name} kept ${r} of the ink`);
  }
  // shot noise: Poisson counts / 3
  for (const v of corruptImage("shot_noise", x, 0, 0)) {
    assert.ok(Math.abs(v * 3 - Math.round(v * 3)) < 1e-5);
  }
  // impulse noise: ~17% of pixels set to 0 or 1, the rest unchanged
  let flipped = 0, total = 0;
  digits.forEach((d, i) => {
    const y = corruptImage("impulse_noise", d, 0, i);
    y.forEach((v, j) => {
      total++;
      if (v !== d[j]) {
        assert.ok(v === 0 || v === 1);
        flipped++;
      }
    });
  });
  assert.ok(flipped / total > 0.06 && flipped / total < 0.17, `impulse flipped ${flipped / total}`);
  // dotted line: only the "on" 2-column bands (2-3, 6-7, ...) change, and only brighten
  const dl = corruptImage("dotted_line", x, 0, 0);
  dl.forEach((v, i) => {
    if (Math.floor((i % 28) / 2) % 2 === 0) assert.equal(v, x[i]);
    else assert.ok(v >= x[i]);
  });
  // zigzag only brightens; canny is a binary edge map
  const zz = corruptImage("zigzag", x, 0, 0);
  zz.forEach((v, i) => assert.ok(v >= x[i] - 1e-7));
  assert.ok(corruptImage("canny_edges", x, 0, 0).every((v) => v === 0 || v === 1));
});

Deno.test("canny finds the outline of a square, not its inside or outside", () => {
  const sq = new Float32Array(784);
  for (let r = 8; r < 20; r++) for (let c = 8; c < 20; c++) sq[r * 28 + c] = 1;
  const e = canny({ w: 28, h: 28, data: sq }).data;
  assert.equal(e[14 * 28 + 14], 0, "inside");
  assert.equal(e[2 * 28 + 2], 0, "outside");
  // Every row crossing the square has edges near its left and right sides, nowhere else.
  for (let r = 10; r < 18; r++) {
    const cols = [...Array(28).keys()].filter((c) => e[r * 28 + c] === 1);
    assert.ok(
      cols.length >= 2 && cols.every((c) => Math.abs(c - 7.5) <= 1.5 || Math.abs(c - 19.5) <= 1.5),
      `row ${r}: ${cols}`,
    );
  }
});

Deno.test("plasma fractal is normalised to [0, 1] and seeded", () => {
  const a = plasmaFractal(new Rng(1), 1.4, 64);
  assert.equal(Math.min(...a), 0);
  assert.equal(Math.max(...a), 1);
  assert.deepEqual(a, plasmaFractal(new Rng(1), 1.4, 64));
  assert.notDeepEqual(a, plasmaFractal(new Rng(2), 1.4, 64));
});

Deno.test("corruptSplit corrupts image i with its own generator (order-independent)", () => {
  const split = { x: mnist.test.x.slice(0, 4 * 784), y: mnist.test.y.slice(0, 4), n: 4 };
  const out = corruptSplit(split, "fog", 5);
  assert.deepEqual(out.y, split.y);
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(
      out.x.subarray(i * 784, (i + 1) * 784),
      corruptImage("fog", split.x.subarray(i * 784, (i + 1) * 784), 5, i),
    );
  }
  assert.throws(
    () => corruptSplit({ x: new Float32Array(10), y: new Uint8Array(1), n: 1 }, "fog", 0),
    /needs 28x28 grayscale images, got 10 values per sample/,
  );
});

Deno.test("PNG writer: valid signature, chunk CRCs, and pixel rows that inflate back", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const px = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
  const png = encodePng(6, 4, px);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer);
  let o = 8;
  const chunks: Record<string, Uint8Array> = {};
  while (o < png.length) {
    const len = view.getUint32(o);
    const type = new TextDecoder().decode(png.subarray(o + 4, o + 8));
    assert.equal(view.getUint32(o + 8 + len), crc32(png.subarray(o + 4, o + 8 + len)), type);
    chunks[type] = png.subarray(o + 8, o + 8 + len);
    o += 12 + len;
  }
  assert.deepEqual(Object.keys(chunks), ["IHDR", "IDAT", "IEND"]);
  assert.equal(new DataView(chunks.IHDR.buffer, chunks.IHDR.byteOffset).getUint32(0), 6);
  const raw = new Uint8Array(inflateSync(chunks.IDAT));
  for (let y = 0; y < 4; y++) {
    assert.equal(raw[y * 7], 0);
    assert.deepEqual([...raw.subarray(y * 7 + 1, y * 7 + 7)], [...px.subarray(y * 6, y * 6 + 6)]);
  }
});

Deno.test("the picture grid has a labelled row per corruption and a column per image", () => {
  const g = gridContent(digits.slice(0, 3), 0);
  assert.deepEqual(g.rows, ["clean", ...CORRUPTION_NAMES]);
  assert.equal(g.cells.length, 16);
  assert.ok(g.cells.every((r) => r.length === 3));
  const canvas = renderGrid(g);
  assert.equal(canvas.pixels.length, canvas.width * canvas.height);
  assert.ok(canvas.height >= 16 * 56);
});
