/**
 * Hardware-inference track: its grid deploys the task track's runs; an infer run trains (or
 * reuses the task run's saved weights), checks prediction agreement, times both deployments and
 * reports its documented metrics; OM_infer follows docs/metrics.md; the view renders.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../engine/tf.ts";
import type { RunResult, RunSpec } from "../../engine/run.ts";
import { runGrid } from "../../engine/grid/runner.ts";
import { taskTrack } from "../../tracks/task/track.ts";
import {
  type InferOptions,
  inferRun,
  inferSpec,
  inferTable,
  inferTrack,
  omInfer,
} from "../../tracks/infer/track.ts";
import { renderInferTable } from "../../tracks/infer/view.ts";
import { installPlugins } from "../../app/plugins.ts";
import { median } from "../../engine/deploy/timing.ts";
import { buildModel } from "../../engine/nn/model.ts";
import { floatNativeBaseline, floatNativeNotes } from "../../tracks/infer/float_native.ts";

installPlugins();

await initBackend("wasm");

Deno.test("infer grid: one run per binarizer deploying the task track's spec", () => {
  const specs = inferTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"] });
  const tasks = taskTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"], seeds: 1 });
  assert.equal(specs.length, 3);
  for (const s of specs) {
    assert.equal(s.kind, "infer");
    const o = s.options as unknown as InferOptions;
    const task = tasks.find((t) => t.id === o.taskSpec.id)!;
    assert.deepEqual(o.taskSpec, task);
    assert.deepEqual(s.train, task.train);
    assert.deepEqual(o.batches, [1, 64]);
  }
});

/** A tiny task spec and its infer run (short timing budget, batches 1 and 8). */
function tiny(binarizer: string): { task: RunSpec; infer: RunSpec } {
  const task = {
    ...taskTrack.grid({ profile: "smoke", binarizers: [binarizer], seeds: 1 })
      .find((s) => s.task === "mnist")!,
    limit: { train: 96, val: 32, test: 128 },
  };
  task.train = { ...task.train!, epochs: 1 };
  const infer = inferSpec(task, "smoke");
  infer.options = { ...infer.options, budgetMs: 30, batches: [1, 8] };
  return { task, infer };
}

Deno.test("infer runs: agreement, latency, sizes, machine facts; saved task weights are reused", async () => {
  const out = await Deno.makeTempDir({ prefix: "infer-test-" });
  try {
    const results: RunResult[] = [];
    for (const b of ["fp32", "bnn", "xnor"]) {
      const { task, infer } = tiny(b);
      if (b === "bnn") await runGrid([task], { out, quiet: true });
      const r = (await inferRun(infer, { out })).result;
      results.push(r);
      if (b === "bnn") {
        // What verify --reproduce compares (metrics) is the same on a second run.
        const again = (await inferRun(infer, { out })).result;
        assert.deepEqual(again.metrics, r.metrics);
      }
      const m = r.metrics;
      assert.equal(r.timings.retrainSeconds === undefined, b === "bnn", b);
      assert.ok(m.agreement >= 0.999, `${b}: agreement ${m.agreement}`);
      assert.equal(m.disagreements, 0);
      // Measured numbers are timings (they differ between identical runs: not reproduced).
      const t = r.timings;
      for (const k of ["latencyB1Ms", "latencyFpB1Ms", "latencyB8Ms", "latencyFpB8Ms"]) {
        assert.ok(t[k] > 0, `${b}: ${k}`);
        assert.equal(m[k], undefined, `${b}: ${k} is not a metric`);
      }
      assert.ok(t.speedupB8 > 0 && m.sizeBytes > 0 && m.sizeFpBytes > 0);
      // The paired ratios behind each speed-up are kept (samples), their median is the speed-up,
      // and the run's own 95% interval of it contains it.
      for (const n of [1, 8]) {
        const xs = r.samples?.[`speedupB${n}`] ?? [];
        assert.ok(xs.length >= 7, `${b}: ${xs.length} samples`);
        assert.equal(median(xs), t[`speedupB${n}`]);
        assert.ok(
          t[`speedupB${n}Lo`] <= t[`speedupB${n}`] && t[`speedupB${n}`] <= t[`speedupB${n}Hi`],
        );
      }
      // The native float baseline (onnxruntime, 1 thread and all cores) beside tfjs-wasm, paired
      // the same way; fp32 runs also check the ONNX export of the trained network.
      const fn = r.floatNative!;
      assert.equal(fn.available, true, `${b}: ${fn.reason}`);
      assert.match(fn.version ?? "", /^\d+\.\d+\.\d+$/);
      assert.equal(fn.threads[0], 1);
      for (const n of [1, 8]) {
        for (const T of fn.threads.map((x) => (x === 1 ? "1" : "All"))) {
          const xs = r.samples?.[`speedupOrt${T}B${n}`] ?? [];
          assert.ok(xs.length >= 7 && t[`latencyOrt${T}B${n}Ms`] > 0, `${b}: Ort${T}B${n}`);
          assert.equal(median(xs), t[`speedupOrt${T}B${n}`]);
        }
      }
      if (b === "fp32") {
        assert.equal(fn.check?.images, 128);
        assert.equal(fn.check?.disagreements, 0);
        assert.ok(fn.check!.maxLogitDiff <= 1e-4 * fn.check!.maxAbsLogit);
      } else assert.equal(fn.check, undefined);
      assert.ok(Object.keys(m).every((k) => !/Ort|onnx/i.test(k)), "metrics stay engine-free");
      if (b !== "fp32") assert.ok(m.sizeRatio > 5, `${b}: size ratio ${m.sizeRatio}`);
      // What ran is recorded, and why; with a native library the family the race did not pick
      // is timed too, and the race kept the faster one.
      const kr = r.kernels!;
      assert.match(kr.family ?? "", /^(lut|native-[a-z0-9]+)$/);
      assert.equal(kr.threads, 1);
      const native = kr.family.startsWith("native-");
      const raced = kr.choice === "measured";
      assert.equal(raced, kr.nativeSpeedup !== undefined, `${b}: ratio iff raced`);
      if (raced) {
        assert.equal(native, kr.nativeSpeedup! > 1, `${b}: the faster family ran`);
        assert.match(kr.nativeFamily ?? "", /^native-/);
      } else assert.equal(kr.choice, kr.family === "lut" ? "only" : "forced");
      const alt = native ? t.latencyWasmB1Ms : t.latencyNativeB1Ms;
      assert.equal(alt > 0, raced || native, `${b}: the other family timed iff native loaded`);
      assert.ok(m["cpu.cores"] >= 1);
      assert.ok(Object.keys(t).some((k) => k.startsWith("profileB64.bconv")) || b === "fp32");
      for (const o of [m, t]) {
        assert.ok(Object.keys(o).every((k) => /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(k)), b);
      }
    }
    const table = inferTable(results);
    assert.deepEqual(table.columns, ["cnn b1", "cnn b8", "cnn size"]);
    assert.ok(table.rows.every((r) => Number.isFinite(r.om)));
    const text = renderInferTable(table);
    assert.match(text, /OM_infer/);
    assert.match(text, /agree/);
    assert.match(
      text,
      new RegExp(`Binary kernels.*${results[0].kernels!.family}`),
      "kernels noted",
    );
    assert.match(text, /b8 onnxruntime 1 thread/);
    assert.match(text, /Native float baseline .* onnxruntime-node \d/);
    if (results[0].kernels!.choice === "measured") assert.match(text, /raced against/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("OM_infer = sqrt(1/2 (E[T_fp/T_bi]^2 + E[S_fp/S_bi]^2))", () => {
  assert.equal(omInfer([2, 4], [8]), Math.sqrt((3 ** 2 + 8 ** 2) / 2));
  assert.ok(Number.isNaN(omInfer([], [8])));
  assert.ok(Number.isNaN(omInfer([NaN], [8])));
});

Deno.test("onnxruntime absent: the baseline is recorded as absent, the rest of the run is unchanged", async () => {
  const model = buildModel("cnn", {
    inputShape: [28, 28, 1],
    numClasses: 10,
    binarizer: "fp32",
    seed: 1,
    width: 1,
  });
  try {
    const timings: Record<string, number> = {}, samples: Record<string, number[]> = {};
    const rec = await floatNativeBaseline({
      bi: undefined as never, // never called without an engine
      fpModel: model,
      batchOf: () => new Float32Array(784),
      batches: [1],
      budgetMs: 10,
      timings,
      samples,
      ort: { reason: "could not load (test)" },
    });
    assert.deepEqual(rec, {
      engine: "onnxruntime-node",
      available: false,
      reason: "could not load (test)",
      threads: [],
    });
    assert.deepEqual([timings, samples], [{}, {}]);
    const notes = floatNativeNotes([{ floatNative: rec } as unknown as RunResult]);
    assert.deepEqual(notes, ["Native float baseline absent in 1 run(s): could not load (test)."]);
  } finally {
    model.store.dispose();
  }
});
