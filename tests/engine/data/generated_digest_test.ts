/**
 * Digests of generated data: the point-cloud splits and corrupted test images depend on the
 * JavaScript engine's Math.sin / cos / log, so their SHA-256 is recorded in the bundle and
 * `verify --reproduce` fails (one summary line) when a re-run generates other samples. Old bundles
 * without these digests still verify and compare.
 */
import assert from "node:assert/strict";
import { generatedDigest } from "../../../engine/data/generated.ts";
import { loadPointCloud } from "../../../engine/data/pointcloud.ts";
import { sha256Hex } from "../../../engine/data/digest.ts";
import { corruptSplit } from "../../../engine/corruptions/mod.ts";
import { loadMnist } from "../../../engine/data/mnist.ts";
import { makeBundle } from "../../../engine/bundle/make.ts";
import { verifyBytes } from "../../../engine/bundle/verify.ts";
import { compareBundles } from "../../../engine/reproduce.ts";
import { datasetRecord } from "../../../engine/run.ts";
import type { Bundle } from "../../../engine/bundle/schema.ts";
import {
  bytesOf,
  ENGINE,
  ENVIRONMENT,
  syntheticResult,
  tempKey,
} from "../../../benches/fixtures/bundles.ts";
import { signBundle } from "../../../engine/bundle/sign.ts";
import { installPlugins } from "../../../app/plugins.ts";

installPlugins();

Deno.test("generatedDigest: SHA-256 of the float32 values (little-endian), then the labels", async () => {
  const split = { x: Float32Array.from([0.5, -1, 3.25, 0]), y: Uint8Array.from([1, 7]), n: 2 };
  const bytes = new Uint8Array(18);
  const view = new DataView(bytes.buffer);
  [0.5, -1, 3.25, 0].forEach((v, i) => view.setFloat32(4 * i, v, true));
  bytes.set([1, 7], 16);
  assert.deepEqual(await generatedDigest("test", split), {
    name: "test",
    sha256: await sha256Hex(bytes),
    samples: 2,
  });
  const moved = { ...split, x: Float32Array.from([0.5, -1, 3.25, 2 ** -149]) }; // one ulp
  assert.notEqual(
    (await generatedDigest("test", moved)).sha256,
    (await generatedDigest("test", split)).sha256,
  );
});

// Pinned: the SHA-256 of the fixed test clouds (40 images). A JavaScript engine whose
// Math.sin / cos / log round differently generates other clouds, and this fails.
const TEST_CLOUDS_40 = "bf2800791eb62aa970093d929537fb5154aed7e82b0fbff8314528183a0937bd";

Deno.test("point clouds: every split's digest is recorded; the fixed test clouds are pinned", async () => {
  const limit = { train: 30, val: 10, test: 40 };
  const a = await loadPointCloud({ seed: 0, limit });
  const b = await loadPointCloud({ seed: 1, limit });
  assert.deepEqual(a.generated!.map((g) => [g.name, g.samples]), [
    ["train", 30],
    ["val", 10],
    ["test", 40],
  ]);
  assert.deepEqual(a.generated![2], await generatedDigest("test", a.test));
  assert.equal(a.generated![2].sha256, b.generated![2].sha256, "test clouds are fixed");
  assert.notEqual(a.generated![0].sha256, b.generated![0].sha256, "train clouds follow the seed");
  assert.equal(a.generated![2].sha256, TEST_CLOUDS_40);
  assert.deepEqual(datasetRecord(a).generated, a.generated);
  // MNIST reads files only: nothing generated, no field.
  assert.equal(datasetRecord(await loadMnist({ limit })).generated, undefined);
});

Deno.test("bundles carry generated digests; a different one fails reproduction in one line", async () => {
  const { key, trusted } = await tempKey("gen");
  const mnist = await loadMnist({ limit: { train: 4, val: 4, test: 8 } });
  const fog = await generatedDigest("test/fog", corruptSplit(mnist.test, "fog", 7));
  const r = syntheticResult(3);
  const withGen = { ...r, dataset: { ...r.dataset!, generated: [fog] } };
  const made = await makeBundle(withGen, { engine: ENGINE, environment: ENVIRONMENT });
  const signed = await signBundle(made, key);
  assert.deepEqual(signed.datasets[0].generated, [fog]);
  const v = await verifyBytes(bytesOf(signed), "gen.json", { trusted });
  assert.ok(v.ok, v.reason);

  assert.equal(compareBundles(signed, signed).exact, true);
  const other: Bundle = {
    ...signed,
    datasets: [{ ...signed.datasets[0], generated: [{ ...fog, sha256: "0".repeat(64) }] }],
  };
  for (const env of [ENVIRONMENT, { ...ENVIRONMENT, os: "other" }]) {
    const c = compareBundles(signed, { ...other, environment: env });
    assert.equal(c.ok, false, "generated data is exact in any environment");
    assert.ok(!c.summary.includes("\n"));
    assert.match(c.summary, /^MISMATCH \(.*\): generated data differs \(mnist test\/fog\)/);
  }
  // A bundle recorded before these digests existed compares equal to its re-run.
  const old = { ...signed, datasets: [{ ...signed.datasets[0], generated: undefined }] };
  delete old.datasets[0].generated;
  assert.equal(compareBundles(old as Bundle, signed).exact, true);
  assert.equal(compareBundles(signed, old as Bundle).exact, false, "a dropped digest is a change");
});
