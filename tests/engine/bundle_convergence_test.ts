/**
 * Convergence in result bundles: a run with a plateau rule writes its rule (config) and how it
 * ended (results.convergence); the bundle verifies and reads back the same; the verifier recomputes
 * the stop and the flag from the curves; bundles made before the fields existed (the previous
 * published set) still verify and compare as reproduced by today's engine.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../engine/tf.ts";
import { executeRun, type RunSpec } from "../../engine/run.ts";
import { contentId } from "../../engine/bundle/canonical.ts";
import { loadTrustedKeys } from "../../engine/bundle/keys.ts";
import { signBundle } from "../../engine/bundle/sign.ts";
import { bundleToResult } from "../../engine/bundle/make.ts";
import { consistencyProblem, verifyBytes } from "../../engine/bundle/verify.ts";
import { writeRun } from "../../engine/store/results.ts";
import { compareBundles } from "../../engine/reproduce.ts";
import { bytesOf, tempKey } from "../../benches/fixtures/bundles.ts";
import type { Bundle } from "../../engine/bundle/schema.ts";
import { runConverged } from "../../tracks/convergence_note.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();
await initBackend("wasm");

const k = await tempKey("alice");
const opts = { trusted: k.trusted };

const spec: RunSpec = {
  id: "task/mnist/mlp/fp32/seed2",
  kind: "train",
  track: "task",
  task: "mnist",
  dataset: "mnist",
  model: "mlp",
  width: 0.5,
  binarizer: "fp32",
  seed: 2,
  profile: "smoke",
  train: {
    optimizer: "adam",
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    schedule: "cosine",
    epochs: 12,
    batchSize: 32,
    // Nothing gains 100 pp: the rule stops after 2 epochs, far below the cap of 12.
    plateau: { patience: 1, minDelta: 1, minEpochs: 2 },
  },
  limit: { train: 96, val: 32, test: 64 },
};
const out = await Deno.makeTempDir({ prefix: "bibench-conv-" });
const output = await executeRun(spec);
const bundle = await writeRun(out, output, k.key);
const path = join(out, "runs", `${spec.id}.json`);

async function resigned(b: Bundle): Promise<Bundle> {
  const { signature: _s, ...rest } = b;
  return await signBundle({ ...rest, id: await contentId(rest) }, k.key);
}

Deno.test("a plateau run's bundle: rule in config, convergence in results, verifies, round trips", async () => {
  const v = await verifyBytes(await Deno.readFile(path), path, opts);
  assert.equal(v.ok, true, v.reason);
  assert.deepEqual(bundle.config.train?.plateau, spec.train!.plateau);
  assert.equal(bundle.results.curves.length, 2);
  assert.equal(bundle.results.convergence?.stop, "plateau");
  assert.equal(bundle.results.convergence?.epochsRun, 2);
  const back = bundleToResult(bundle);
  assert.deepEqual(back.convergence, output.result.convergence);
  assert.deepEqual(back.spec, spec);
});

Deno.test("the verifier recomputes the stop and the flag from the curves", async () => {
  // A curve removed (as if the run had stopped one epoch early, metrics made to match).
  const curves = bundle.results.curves.slice(0, 1);
  const early = await resigned({
    ...bundle,
    results: {
      ...bundle.results,
      curves,
      metrics: {
        ...bundle.results.metrics,
        valAccuracy: curves[0].valAccuracy,
        finalTrainLoss: curves[0].trainLoss,
      },
      convergence: { epochsRun: 1, stop: "plateau", converged: false },
    },
  });
  assert.match(
    consistencyProblem(early) ?? "",
    /1 epoch records, but the plateau rule does not stop there \(cap 12\)/,
  );
  // An epoch trained past the stop.
  const past = [...bundle.results.curves, { ...bundle.results.curves[1], epoch: 2 }];
  const late = await resigned({
    ...bundle,
    results: {
      ...bundle.results,
      curves: past,
      timings: { ...bundle.results.timings, trainSeconds: 1000 },
      convergence: { ...bundle.results.convergence!, epochsRun: 3 },
    },
  });
  assert.match(
    consistencyProblem(late) ?? "",
    /3 epoch records, but the plateau rule stops after 2/,
  );
  // A flag that the curves do not give.
  const c = bundle.results.convergence!;
  for (const bad of [{ ...c, converged: !c.converged }, { ...c, stop: "cap" as const }]) {
    const b = await resigned({ ...bundle, results: { ...bundle.results, convergence: bad } });
    assert.match(
      consistencyProblem(b) ?? "",
      /results\.convergence .* is not what the curves give/,
    );
    const v = await verifyBytes(bytesOf(b), "mem.json", opts);
    assert.equal(v.ok, false);
  }
});

Deno.test("the published set's records are what its curves give; bundles without the fields still verify and compare", async () => {
  const root = new URL("../../bundles/", import.meta.url).pathname;
  const trusted = await loadTrustedKeys(join(root, "trusted-keys.json"));
  let n = 0, flagged = 0;
  let stripped: Bundle | undefined;
  for (const track of ["task", "arch", "train"]) {
    for await (const f of walk(join(root, "runs", track))) {
      const v = await verifyBytes(await Deno.readFile(f), f, { trusted, weights: false });
      assert.equal(v.ok, true, `${f}: ${v.reason}`);
      const recorded = v.bundle!.results.convergence;
      assert.ok(recorded, `${f}: no results.convergence`);
      // A bundle made before the fields existed has no record: its flag is read off its curves by
      // the same rule, and gives the published record.
      const { convergence: _c, ...bare } = v.bundle!.results;
      stripped = { ...v.bundle!, results: bare };
      assert.equal(runConverged(bundleToResult(stripped)), recorded.converged, f);
      if (!recorded.converged) flagged++;
      n++;
    }
  }
  assert.ok(n > 400, `${n} bundles`);
  assert.ok(flagged > 0 && flagged < n, `${flagged} of ${n} unconverged`);
  // Such a bundle (here a published one without its record, signed again) still verifies.
  const bare = await resigned(stripped!);
  assert.equal((await verifyBytes(bytesOf(bare), "bare.json", opts)).ok, true);
  // An old bundle (no record) against today's reproduction (with one): the record is derived
  // from the compared curves, so it is not compared itself.
  const { convergence: _c, ...oldResults } = bundle.results;
  const old = await resigned({ ...bundle, results: oldResults });
  assert.equal(compareBundles(old, bundle).exact, true);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (e.name.endsWith(".json")) yield p;
  }
}
