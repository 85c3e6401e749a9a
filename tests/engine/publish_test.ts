/**
 * Deployed models from published runs (engine/deploy/publish.ts): the file exported from a
 * bundle's weights classifies the run's test split exactly as the run recorded, and weights that
 * are not the ones the bundle vouches for are refused. Uses a published bundle with its weights
 * (bundles/runs/task/mnist/cnn/bnn/seed0.*).
 */
import assert from "node:assert/strict";
import { installPlugins } from "../../app/plugins.ts";
import { initBackend } from "../../engine/tf.ts";
import { deployedFromBundle, isPublishable } from "../../engine/deploy/publish.ts";
import { argmaxRows, DeployRuntime } from "../../engine/deploy/runtime.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { UserError } from "../../engine/errors.ts";
import type { Bundle } from "../../engine/bundle/schema.ts";

const RUN = new URL("../../bundles/runs/task/mnist/cnn/bnn/seed0", import.meta.url).pathname;

Deno.test("a published run's deployed model reproduces its recorded test accuracy", async () => {
  installPlugins();
  await initBackend("wasm");
  const bundle: Bundle = JSON.parse(await Deno.readTextFile(`${RUN}.json`));
  const weights = await Deno.readFile(`${RUN}.weights.bin`);
  assert.ok(isPublishable(bundle));
  const bytes = await deployedFromBundle(bundle, weights);
  assert.deepEqual(await deployedFromBundle(bundle, weights), bytes, "deterministic");
  const data = await loadDataset("mnist", { seed: bundle.config.seed });
  const rt = await DeployRuntime.load(bytes);
  try {
    const pred = argmaxRows(rt.run(data.test.x, data.test.n), 10);
    const correct = pred.filter((c, i) => c === data.test.y[i]).length;
    assert.equal(correct / data.test.n, bundle.results.metrics.testAccuracy);
  } finally {
    rt.dispose();
  }
  const tampered = weights.slice();
  tampered[tampered.length - 1] ^= 1;
  await assert.rejects(deployedFromBundle(bundle, tampered), UserError);
  await assert.rejects(deployedFromBundle(bundle, weights.subarray(1)), UserError);
});

Deno.test("every weights file kept under bundles/ has the SHA-256 its signed bundle records", async () => {
  const { verifyFile } = await import("../../engine/bundle/verify.ts");
  const { loadTrustedKeys, DEFAULT_TRUSTED_FILE } = await import("../../engine/bundle/keys.ts");
  const trusted = await loadTrustedKeys(DEFAULT_TRUSTED_FILE);
  const root = new URL("../../bundles/runs/task/", import.meta.url).pathname;
  let n = 0;
  for (const task of ["mnist", "fashion"]) {
    for await (const algo of Deno.readDir(`${root}${task}/cnn`)) {
      const dir = `${root}${task}/cnn/${algo.name}`;
      for await (const f of Deno.readDir(dir)) {
        if (!f.name.endsWith(".weights.bin")) continue;
        const v = await verifyFile(`${dir}/${f.name.replace(/\.weights\.bin$/, ".json")}`, {
          trusted,
        });
        assert.ok(v.ok, `${dir}/${f.name}: ${v.reason}`);
        assert.ok(!v.notes.includes("weights file not present"));
        n++;
      }
    }
  }
  assert.ok(n > 0, "no weights kept under bundles/");
});

Deno.test("one kernel instance serves every published network in turn, as a Try page loads them", async () => {
  installPlugins();
  await initBackend("wasm");
  const { BinaryKernels } = await import("../../engine/kernels/wasm.ts");
  const { binarizerNames } = await import("../../engine/binarizers/registry.ts");
  const shared = await BinaryKernels.load();
  const root = new URL("../../bundles/runs/task/", import.meta.url).pathname;
  const x = new Float32Array(784).map((_, i) => (i % 29) / 28);
  let n = 0;
  for (const task of ["mnist", "fashion"]) {
    // The Try page's order: the binarizer registry's.
    for (const algo of binarizerNames()) {
      const base = `${root}${task}/cnn/${algo}/seed0`;
      const bundle: Bundle = JSON.parse(await Deno.readTextFile(`${base}.json`));
      const bytes = await deployedFromBundle(bundle, await Deno.readFile(`${base}.weights.bin`));
      // Loading after the others grows the shared memory under views made before (a resident
      // array detached by a later allocation once failed here); the logits equal a fresh
      // instance's bit for bit.
      const rt = await DeployRuntime.load(bytes, { kernels: shared });
      const alone = await DeployRuntime.load(bytes);
      assert.deepEqual(rt.run(x, 1), alone.run(x, 1), `${task}/${algo}`);
      alone.dispose();
      n++;
    }
  }
  assert.equal(n, 18);
});
