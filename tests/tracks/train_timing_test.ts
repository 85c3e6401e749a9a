/**
 * Paired training-step timing (tracks/train/step_timing.ts) and the intervals of OM_train,
 * OM_infer and OM_comp (docs/metrics.md, "Training time" and "Uncertainty"): the executor records
 * paired samples without changing a metric and its bundle verifies and reads back; the train
 * table takes T_fp / T_bi from them; the bootstraps are deterministic, contain the point
 * estimate, mark ties; comp is exact; results without samples summarise as before.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../engine/tf.ts";
import { executeRun, type RunResult, type RunSpec } from "../../engine/run.ts";
import { trainAndTest } from "../../engine/executors/train.ts";
import { UserError } from "../../engine/errors.ts";
import { median, medianInterval } from "../../engine/deploy/timing.ts";
import { mean } from "../../engine/stats.ts";
import { bundleToResult, makeBundle } from "../../engine/bundle/make.ts";
import { signBundle } from "../../engine/bundle/sign.ts";
import { verifyBytes } from "../../engine/bundle/verify.ts";
import { bytesOf, ENGINE, ENVIRONMENT, tempKey } from "../../benches/fixtures/bundles.ts";
import {
  pairedSteps,
  pairRatios,
  stepRatioOf,
  stepTimingOf,
} from "../../tracks/train/step_timing.ts";
import { SETTINGS, STEP_TIMING, trainTable, trainTrack } from "../../tracks/train/track.ts";
import { compRun, compTrack } from "../../tracks/comp/track.ts";
import { renderTables, summarizeTracks } from "../../tracks/summary.ts";
import { omText } from "../../tracks/text_table.ts";
import { installPlugins } from "../../app/plugins.ts";
import { fakeResult } from "./fake_result.ts";

installPlugins();
await initBackend("wasm");

Deno.test("medianInterval: distribution-free order statistics, by hand; none under six", () => {
  // n = 6: P(Bin(6, 1/2) = 0) = 1/64 <= 2.5% < 7/64: k = 1, [min, max].
  assert.deepEqual(medianInterval([3, 1, 6, 2, 5, 4]), [1, 6]);
  // n = 10: P(X <= 1) = 11/1024 <= 2.5% < P(X <= 2) = 56/1024: k = 2, [x_(2), x_(9)].
  assert.deepEqual(medianInterval([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]), [2, 9]);
  assert.ok(medianInterval([1, 2, 3, 4, 5]).every(Number.isNaN));
  const xs = [0.8, 0.74, 0.91, 0.77, 0.79, 0.83, 0.8, 0.71];
  const [lo, hi] = medianInterval(xs);
  assert.ok(lo <= median(xs) && median(xs) <= hi);
});

Deno.test("pairedSteps: warm-up, alternating order a b / b a, one per-step time per pair", () => {
  const log: string[] = [];
  const t = pairedSteps(() => log.push("a"), () => log.push("b"), 4, 5);
  assert.deepEqual(log.join(""), "ab" + "ab" + "ba" + "ab" + "ba" + "ab");
  for (const xs of [t.ms, t.fpMs, t.cpuMs, t.cpuFpMs]) {
    assert.equal(xs.length, 5);
    assert.ok(xs.every((x) => x >= 0 && Number.isFinite(x)));
  }
  assert.deepEqual(pairRatios([2, 3], [4, 6]), [0.5, 0.5]);
  assert.equal(stepRatioOf({ samples: { stepCpuFpMs: [1, 2, 3], stepCpuMs: [2, 2, 2] } }), 1);
  assert.ok(Number.isNaN(stepRatioOf({})));
});

/** A tiny train-track spec (scratch init: no parent to train). */
function tinySpec(binarizer: string, stepTiming?: object): RunSpec {
  const base = trainTrack.grid({ profile: "smoke", binarizers: [binarizer], init: "scratch" })[0];
  return {
    ...base,
    limit: { train: 96, val: 32, test: 64 },
    options: stepTiming ? { stepTiming } : {},
  };
}

Deno.test("step timing: recorded as timings and samples, no metric changes, bundle verifies", async () => {
  const spec = tinySpec("bnn", { steps: 1, pairs: 6 });
  const out = await executeRun(spec);
  const r = out.result;
  const plain = await trainAndTest({ ...spec, options: {} });
  assert.deepEqual(r.metrics, plain.result.metrics, "timing changes no metric");
  assert.deepEqual(
    r.curves.map((c) => c.valAccuracy),
    plain.result.curves.map((c) => c.valAccuracy),
  );
  const s = r.samples!;
  for (const k of ["stepCpuMs", "stepCpuFpMs", "stepMs", "stepFpMs"]) assert.equal(s[k].length, 6);
  const ratios = pairRatios(s.stepCpuFpMs, s.stepCpuMs);
  assert.equal(r.timings.stepRatio, median(ratios));
  assert.equal(r.timings.stepRatio, stepRatioOf(r));
  assert.deepEqual([r.timings.stepRatioLo, r.timings.stepRatioHi], medianInterval(ratios));
  assert.ok(r.timings.stepRatioLo <= r.timings.stepRatio);
  assert.ok(r.timings.stepRatio <= r.timings.stepRatioHi);
  // The bundle carries the samples, verifies, and reads back with them.
  const k = await tempKey("timing");
  try {
    const unsigned = await makeBundle(r, { engine: ENGINE, environment: ENVIRONMENT });
    const bundle = await signBundle(unsigned, k.key);
    const v = await verifyBytes(bytesOf(bundle), "mem.json", { trusted: k.trusted });
    assert.equal(v.ok, true, v.reason);
    assert.deepEqual(bundleToResult(bundle).samples, s);
  } finally {
    await Deno.remove(k.dir, { recursive: true });
  }
  // fp32 times nothing (T_fp / T_fp = 1); a malformed option is one line.
  const fp = (await executeRun(tinySpec("fp32", { steps: 1, pairs: 6 }))).result;
  assert.equal(fp.samples, undefined);
  assert.equal(fp.timings.stepRatio, undefined);
  assert.throws(
    () => stepTimingOf(tinySpec("bnn", { steps: 0, pairs: 6 })),
    (e: Error) => e instanceof UserError && !e.message.includes("\n"),
  );
  // ... and the executor refuses it before training.
  await assert.rejects(() => executeRun(tinySpec("bnn", { steps: 2, pairs: "6" })), UserError);
  // The grid asks every run, fp32 included, for the profile's timing.
  const grid = trainTrack.grid({ profile: "full", binarizers: ["fp32", "bnn"] });
  assert.ok(grid.every((g) => stepTimingOf(g)?.pairs === STEP_TIMING.full.pairs));
});

/**
 * Train-track results: fp32 and two binarizers, `seeds` seeds, eight settings; binarized runs
 * carry paired samples with ratios around `ratio[b]` (spread `spread`) unless `paired` is false,
 * in which case they have only wall times.
 */
function trainResults(
  ratio: Record<string, number>,
  { seeds = 3, spread = 0.02, paired = true } = {},
): RunResult[] {
  const out: RunResult[] = [];
  for (const [b, rt] of [["fp32", 1], ...Object.entries(ratio)] as [string, number][]) {
    for (let seed = 0; seed < seeds; seed++) {
      SETTINGS.forEach((s, k) => {
        const acc = (b === "fp32" ? 0.8 : 0.7) + 0.02 * Math.sin(k + seed) + 0.01 * (k % 3);
        const bi = [10, 11, 10.5, 9.5, 10.2, 10.8, 9.9],
          fp = bi.map((x, i) => x * (rt + spread * Math.sin(3 * i + k + seed)));
        out.push(fakeResult(
          {
            track: "train",
            task: s.name,
            model: "mlp",
            binarizer: b,
            seed,
            id: `${b}/${s.name}/${seed}`,
          },
          { testAccuracy: acc },
          { trainSeconds: 4 + seed + (b === "fp32" ? 0 : 1) },
          b !== "fp32" && paired ? { samples: { stepCpuMs: bi, stepCpuFpMs: fp } } : {},
        ));
      });
    }
  }
  return out;
}

Deno.test("OM_train: paired T_fp / T_bi, interval contains the OM, deterministic, ties marked", () => {
  const results = trainResults({ bnn: 0.8, fda: 0.3 });
  const t = trainTable(results);
  const bnn = t.rows.find((r) => r.binarizer === "bnn")!;
  const byRun = results.filter((r) => r.spec.binarizer === "bnn").map(stepRatioOf);
  assert.ok(Math.abs(bnn.extra!.timeRatio - mean(byRun)) < 1e-12);
  assert.equal(bnn.extra!.pairedTime, 1);
  assert.match(t.notes!.join("\n"), /T_fp\/T_bi paired \(bnn, fda\)/);
  const [a, b] = [summarizeTracks(results).tables[0], summarizeTracks(results).tables[0]];
  assert.deepEqual(a.rows.map((r) => r.uncertainty), b.rows.map((r) => r.uncertainty));
  for (const r of a.rows) {
    const [lo, hi] = r.uncertainty!.interval;
    assert.ok(lo <= r.om && r.om <= hi, `${r.binarizer}: ${r.om} in [${lo}, ${hi}]`);
  }
  assert.deepEqual(a.rows[0].uncertainty, { interval: [1, 1], rank: null, tied: false });
  const rank = (t: typeof a, name: string) =>
    t.rows.find((r) => r.binarizer === name)!.uncertainty!;
  assert.deepEqual([rank(a, "bnn").rank, rank(a, "bnn").tied], [1, false]);
  assert.deepEqual([rank(a, "fda").rank, rank(a, "fda").tied], [2, false]);
  // Two binarizers that time alike cannot be told apart: a shared rank, marked in the overview.
  const close = renderTables(trainResults({ bnn: 0.8, xnor: 0.8 })).overview;
  assert.match(close, /bnn\s+0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] #1=\n/);
  assert.match(close, /xnor\s+0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] #1=\n/);
  // Wider timing noise, wider interval.
  const wide = summarizeTracks(trainResults({ bnn: 0.8 }, { spread: 0.2 })).tables[0];
  const narrow = summarizeTracks(trainResults({ bnn: 0.8 }, { spread: 0.01 })).tables[0];
  const width = (t: typeof a) => {
    const iv = rank(t, "bnn").interval;
    return iv[1] - iv[0];
  };
  assert.ok(width(wide) > width(narrow), `${width(wide)} > ${width(narrow)}`);
  // One seed still has an interval from the paired samples alone.
  const one = summarizeTracks(trainResults({ bnn: 0.8 }, { seeds: 1 })).tables[0];
  assert.ok(rank(one, "bnn").interval[1] > rank(one, "bnn").interval[0]);
});

Deno.test("OM_train without paired samples: the wall-time rule as before, seeds resampled", () => {
  const results = trainResults({ bnn: 0.8 }, { paired: false });
  const t = summarizeTracks(results).tables[0];
  const bnn = t.rows.find((r) => r.binarizer === "bnn")!;
  // T_fp / T_bi = mean over settings of mean T_fp / mean T_bi: (4 + 5 + 6) / (5 + 6 + 7).
  assert.ok(Math.abs(bnn.extra!.timeRatio - 15 / 18) < 1e-12);
  assert.equal(bnn.extra!.pairedTime, 0);
  assert.match(t.notes!.join("\n"), /wall times of separate runs \(bnn\)/);
  const [lo, hi] = bnn.uncertainty!.interval;
  assert.ok(lo <= bnn.om && bnn.om <= hi && lo < hi);
  // One seed and no samples: nothing to resample, no interval.
  const one = summarizeTracks(trainResults({ bnn: 0.8 }, { seeds: 1, paired: false })).tables[0];
  assert.equal(one.rows[1].uncertainty, undefined);
});

/** An infer result of `b` on the cnn, seed `seed`, with paired ratios `ratios` (or none). */
function inferResult(b: string, seed: number, ratios?: number[]): RunResult {
  const speedup = ratios ? median(ratios) : 3;
  return fakeResult(
    {
      track: "infer",
      kind: "infer",
      task: "mnist",
      binarizer: b,
      seed,
      id: `${b}/${seed}`,
      options: { batches: [1] },
    },
    { sizeBytes: 100, sizeRatio: b === "fp32" ? 1 : 20 },
    { latencyB1Ms: 1, speedupB1: b === "fp32" ? 1 : speedup },
    ratios ? { samples: { speedupB1: ratios } } : {},
  );
}

Deno.test("OM_infer: interval from the paired latency ratios, none without samples", () => {
  const fp = [1, 1.02, 0.98, 1.01, 0.99, 1, 1.03];
  const results = [
    inferResult("fp32", 0, fp),
    inferResult("bnn", 0, [3, 3.2, 2.9, 3.1, 3.4, 2.8, 3]),
    inferResult("xnor", 0, [2, 2.1, 1.9, 2.05, 2.2, 1.95, 2]),
  ];
  const t = summarizeTracks(results).tables[0];
  assert.equal(t.track, "infer");
  for (const r of t.rows) {
    const [lo, hi] = r.uncertainty!.interval;
    assert.ok(lo <= r.om && r.om <= hi, `${r.binarizer}: ${r.om} in [${lo}, ${hi}]`);
  }
  assert.deepEqual(t.rows.map((r) => r.uncertainty!.rank), [null, 1, 2]);
  assert.deepEqual(summarizeTracks(results).tables[0], t, "deterministic");
  const old = summarizeTracks([inferResult("fp32", 0), inferResult("bnn", 0)]).tables[0];
  assert.ok(old.rows.every((r) => r.uncertainty === undefined));
});

Deno.test("OM_comp is exact: no interval, ranked by value, printed as exact", async () => {
  const specs = compTrack.grid({ profile: "smoke", binarizers: ["fp32", "bnn", "xnor"] });
  const results = [];
  for (const s of specs) results.push((await compRun(s)).result);
  const t = summarizeTracks(results).tables[0];
  const [fp, bnn, xnor] = t.rows;
  assert.deepEqual(bnn.uncertainty, {
    interval: [bnn.om, bnn.om],
    rank: 1,
    tied: false,
    exact: true,
  });
  assert.equal(xnor.uncertainty!.rank, 2);
  assert.equal(fp.uncertainty!.rank, null);
  assert.equal(omText(bnn.om, bnn.uncertainty), `${bnn.om.toFixed(3)} exact #1`);
  assert.match(renderTables(results).overview, /exact: comp's OMs are counts/);
});
