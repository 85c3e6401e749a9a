/**
 * Hardware-inference track: the networks of the learning-task track, deployed (engine/deploy/:
 * exported to a packed model file, run by the bit-packed kernel runtime) and timed against the
 * full-precision network of the same architecture on tfjs-wasm, side by side in one process.
 * OM_infer = sqrt(1/2 (E[T_fp / T_bi]^2 + E[S_fp / S_bi]^2)) (docs/metrics.md), with
 * E over the deployed models x batch sizes {1, 64} for latency and over models for size.
 *
 * Runs: one "infer" run per (model, binarizer, seed) for the first task of each deployable
 * task-track model (deployment cost depends on the architecture, not on the dataset; tasks marked
 * `deployable: false` — attention, embeddings, point / frame pooling — are skipped); seed 0 only
 * unless --seeds.
 * The run's training settings and limits are those of the task-track run it deploys (kept in
 * `options.taskSpec`): its saved weights are reused from the output directory when the task
 * track ran there (checked against the SHA-256 its bundle records), else the task spec is trained
 * here (deterministic: the same weights); `timings.retrainSeconds` is present only then.
 *
 * Each run: export the trained network (evaluation mode, final binarizer schedule state) ->
 * check that the deployed predictions on the task's test split match the tfjs-simulated network
 * -> time the deployment against the fp32 deployment of the same architecture (BatchNorm folded,
 * fused conv+bias+relu on tfjs-wasm; latency does not depend on the weight values, so the fp32
 * side is the untrained network of the same seed) at batch 1 and 64: alternating samples after
 * warm-up, medians, speed-up = median of the paired ratios.
 *
 * Metrics (deterministic: `verify --reproduce` compares them exactly): agreement (share of test
 * images with the same predicted class), disagreements, maxLogitDiff, testAccuracy (tfjs),
 * deployAccuracy, sizeBytes, sizeFpBytes, sizeRatio (S_fp / S_bi); machine facts
 * cpu.<flag>, cpu.cores (engine/deploy/env.ts).
 * Timings (measured, so they differ between identical runs and are not compared): per batch size
 * B in {1, 64}: latencyB<B>Ms, latencyFpB<B>Ms (medians, ms), speedupB<B> (median of paired
 * T_fp / T_bi) and speedupB<B>Lo / Hi (its distribution-free 95% interval,
 * engine/deploy/timing.ts `medianInterval`), cpuB<B>Ms / cpuFpB<B>Ms (process CPU time, ms);
 * profileB64.<op> (ms per op kind in one batch-64 run, median of 5); loadavg1 (load average when
 * the timing started); and the seconds of each phase. Samples: speedupB<B>, the paired ratios in
 * measurement order (absent in bundles made before the field existed). Beside tfjs-wasm, the same
 * fp32 network on onnxruntime's native CPU engine (1 thread, all cores; float_native.ts):
 * timings latencyOrt<T>B<n>Ms / speedupOrt<T>B<n>..., record `floatNative`; not in OM_infer.
 *
 * Interval of OM_infer (`inferResample`, tracks/summary.ts): each (binarizer, model) cell's seeds
 * drawn with replacement, and within each drawn run its paired latency ratios drawn with
 * replacement (the speed-up is their median again); sizes are exact. None for results without
 * samples and with one seed per cell (the published set).
 */
import { initNotes } from "../init_note.ts";
import { backendInfo } from "../../engine/tf.ts";
import { UserError } from "../../engine/errors.ts";
import {
  datasetRecord,
  type FloatNative,
  type RunEnv,
  type RunOutput,
  type RunResult,
  type RunSpec,
} from "../../engine/run.ts";
import { loadTrainedModel } from "../../engine/executors/trained.ts";
import { modelFor } from "../../engine/executors/train.ts";
import type { Split } from "../../engine/data/mod.ts";
import type { Model } from "../../engine/nn/model.ts";
import { finalState, type TrainHooks } from "../../engine/nn/train.ts";
import { mean, quadraticMean, std } from "../../engine/stats.ts";
import { exportModel } from "../../engine/deploy/export.ts";
import { argmaxRows, DeployRuntime } from "../../engine/deploy/runtime.ts";
import { BinaryKernels } from "../../engine/kernels/wasm.ts";
import { selectKernels, settleKernels } from "../../engine/kernels/select.ts";
import { raceFamilies } from "../../engine/kernels/race.ts";
import { measurePair, median, medianInterval } from "../../engine/deploy/timing.ts";
import type { Rng } from "../../engine/rng.ts";
import { processCpuMs } from "../../engine/deploy/cpu_clock.ts";
import { machineMetrics } from "../../engine/deploy/env.ts";
import { floatNativeBaseline, floatNativeNotes } from "./float_native.ts";
import { deployedLogits, tfjsLogits } from "./logits.ts";
import { taskTrack } from "../task/track.ts";
import { taskDefs } from "../task/tasks.ts";
import {
  type Cell,
  derivedSpec,
  type GridOptions,
  type Profile,
  type Track,
  type TrackTable,
} from "../track.ts";
import { renderInferTable } from "./view.ts";
import { inferPresentation } from "./presentation.ts";

/** Batch sizes timed. */
export const INFER_BATCHES = [1, 64];

/** Milliseconds of alternating samples per batch size, per profile. */
const BUDGET_MS: Record<Profile, number> = { smoke: 400, quick: 1000, full: 5000 };

/** Executor options of an infer run. */
export interface InferOptions {
  /** The task-track run whose trained network is deployed. */
  taskSpec: RunSpec;
  batches: number[];
  budgetMs: number;
}

/** The infer run of a task-track run. */
export function inferSpec(task: RunSpec, profile: Profile): RunSpec {
  const options: InferOptions = {
    taskSpec: task,
    batches: INFER_BATCHES,
    budgetMs: BUDGET_MS[profile],
  };
  return derivedSpec(task, "infer", "infer", options);
}

function inferOptions(spec: RunSpec): InferOptions {
  const o = spec.options as Partial<InferOptions> | undefined;
  if (!o?.taskSpec || !Array.isArray(o.batches) || typeof o.budgetMs !== "number") {
    throw new UserError(`infer run ${spec.id} lacks options.taskSpec / batches / budgetMs`);
  }
  return o as InferOptions;
}

/** Agreement of the deployed model with the tfjs network on a split. */
export function agreement(
  model: Model,
  rt: DeployRuntime,
  split: Split,
  state: Record<string, number>,
): {
  agreement: number;
  disagreements: number;
  maxLogitDiff: number;
  tfjsAcc: number;
  deployAcc: number;
} {
  const a = tfjsLogits(model, split, state), b = deployedLogits(rt, split);
  const k = model.numClasses;
  const pa = argmaxRows(a, k), pb = argmaxRows(b, k);
  let same = 0, ca = 0, cb = 0, maxd = 0;
  for (let i = 0; i < split.n; i++) {
    if (pa[i] === pb[i]) same++;
    if (pa[i] === split.y[i]) ca++;
    if (pb[i] === split.y[i]) cb++;
  }
  for (let i = 0; i < a.length; i++) maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
  return {
    agreement: same / split.n,
    disagreements: split.n - same,
    maxLogitDiff: maxd,
    tfjsAcc: ca / split.n,
    deployAcc: cb / split.n,
  };
}

/** `n` samples from a split (repeated when it has fewer). */
function batchOf(split: Split, per: number, n: number): Float32Array {
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const j = i % split.n;
    x.set(split.x.subarray(j * per, (j + 1) * per), i * per);
  }
  return x;
}

/** The "infer" executor (see the module doc). */
export async function inferRun(
  spec: RunSpec,
  env: RunEnv = {},
  hooks: TrainHooks = {},
): Promise<RunOutput> {
  const o = inferOptions(spec);
  if (!spec.train) throw new UserError(`run ${spec.id} has no training settings`);
  const { model, data, reused, weightsSeconds, epochsRun } = await loadTrainedModel(
    spec,
    o.taskSpec,
    env,
    hooks,
  );
  const fpModel = modelFor(spec, data, "fp32");
  const kernels = await BinaryKernels.load();
  let choice = await selectKernels(kernels);
  let rt: DeployRuntime | undefined, altRt: DeployRuntime | undefined;
  let fpRt: DeployRuntime | undefined;
  const metrics: Record<string, number> = {};
  const timings: Record<string, number> = { weightsSeconds };
  const samples: Record<string, number[]> = {};
  let floatNative: FloatNative | undefined;
  try {
    const state = finalState(spec.binarizer, spec.train.epochs, epochsRun);
    let t = performance.now();
    const bytes = exportModel(model, { state });
    const fpBytes = exportModel(fpModel);
    rt = await DeployRuntime.load(bytes, { kernels, kernel: choice.kernel });
    if (choice.kernel !== "lut") altRt = await DeployRuntime.load(bytes, { kernels });
    fpRt = await DeployRuntime.load(fpBytes, { kernels });
    timings.exportSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const ag = agreement(model, rt, data.test, state);
    timings.agreementSeconds = (performance.now() - t) / 1000;
    Object.assign(metrics, {
      agreement: ag.agreement,
      disagreements: ag.disagreements,
      maxLogitDiff: ag.maxLogitDiff,
      testAccuracy: ag.tfjsAcc,
      deployAccuracy: ag.deployAcc,
      sizeBytes: bytes.length,
      sizeFpBytes: fpBytes.length,
      sizeRatio: fpBytes.length / bytes.length,
    });
    t = performance.now();
    const { loadavg1, ...machine } = await machineMetrics();
    Object.assign(metrics, machine);
    if (loadavg1 >= 0) timings.loadavg1 = loadavg1;
    const per = data.shape.reduce((a, b) => a * b, 1);
    // Native only where it is faster here: raced against lut on this network (race.ts).
    let altName = "Wasm";
    if (altRt && !choice.forced) {
      const [nat, lut] = [rt, altRt];
      const xs = o.batches.map((n) => [batchOf(data.test, per, n), n] as const);
      const race = raceFamilies(
        xs.map(([x, n]) => () => nat.run(x, n)),
        xs.map(([x, n]) => () => lut.run(x, n)),
      );
      choice = settleKernels(choice, race);
      if (race.winner === "wasm") [rt, altRt, altName] = [lut, nat, "Native"];
    }
    const [bi, fp] = [rt, fpRt];
    for (const n of o.batches) {
      const x = batchOf(data.test, per, n);
      const pair = measurePair(
        () => bi.run(x, n),
        () => fp.run(x, n),
        o.budgetMs,
        undefined,
        processCpuMs,
      );
      timings[`latencyB${n}Ms`] = pair.a.median;
      timings[`latencyFpB${n}Ms`] = pair.b.median;
      timings[`speedupB${n}`] = pair.ratio;
      const [lo, hi] = medianInterval(pair.ratios);
      if (Number.isFinite(lo)) timings[`speedupB${n}Lo`] = lo, timings[`speedupB${n}Hi`] = hi;
      samples[`speedupB${n}`] = pair.ratios;
      timings[`cpuB${n}Ms`] = pair.a.cpu;
      timings[`cpuFpB${n}Ms`] = pair.b.cpu;
      if (altRt) {
        // The same network on the family the race did not pick (or lut beside forced native).
        const w = altRt;
        const pw = measurePair(() => w.run(x, n), () => fp.run(x, n), o.budgetMs);
        timings[`latency${altName}B${n}Ms`] = pw.a.median;
        timings[`speedup${altName}B${n}`] = pw.ratio;
      }
    }
    const x64 = batchOf(data.test, per, 64);
    const profiles: Record<string, number[]> = {};
    for (let i = 0; i < 5; i++) {
      bi.run(x64, 64, { profile: true });
      for (const [k, v] of Object.entries(bi.lastProfile)) (profiles[k] ??= []).push(v);
    }
    for (const [k, v] of Object.entries(profiles)) timings[`profileB64.${k}`] = median(v);
    timings.latencySeconds = (performance.now() - t) / 1000;
    t = performance.now();
    floatNative = await floatNativeBaseline({
      bi,
      fpModel,
      trained: spec.binarizer === "fp32" ? { model, state, test: data.test } : undefined,
      batchOf: (n) => batchOf(data.test, per, n),
      batches: o.batches,
      budgetMs: o.budgetMs,
      timings,
      samples,
    });
    timings.floatNativeSeconds = (performance.now() - t) / 1000;
    if (!reused) timings.retrainSeconds = weightsSeconds;
  } finally {
    rt?.dispose();
    altRt?.dispose();
    fpRt?.dispose();
    model.store.dispose();
    fpModel.store.dispose();
  }
  const result: RunResult = {
    spec,
    metrics,
    curves: [],
    dataset: datasetRecord(data),
    timings,
    samples,
    backend: backendInfo(),
    kernels: choice.record,
    ...(floatNative ? { floatNative } : {}),
  };
  return { result };
}

/**
 * Which kernel families (with their CPU features, and what a race at load beat) the runs timed;
 * older bundles ran WebAssembly lut.
 */
function kernelsNote(results: RunResult[]): string {
  const seen = new Map<string, number>();
  for (const r of results) {
    const k = r.kernels;
    const raced = k?.choice === "measured"
      ? `, raced against ${k.family === "lut" ? k.nativeFamily : "lut"}`
      : "";
    const name = k
      ? `${k.family}${
        k.cpuFeatures.length ? ` (${k.cpuFeatures.join(", ")})` : ""
      }, ${k.threads} thread${k.threads === 1 ? "" : "s"}${raced}`
      : "lut (WebAssembly; not recorded)";
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  return [...seen].map(([n, c]) => `${n}: ${c} run${c === 1 ? "" : "s"}`).join("; ") || "none";
}

/** OM_infer of one row: E over settings of T_fp / T_bi and over models of S_fp / S_bi. */
export function omInfer(speedups: readonly number[], sizeRatios: readonly number[]): number {
  if (speedups.length === 0 || sizeRatios.length === 0) return NaN;
  if ([...speedups, ...sizeRatios].some((x) => !Number.isFinite(x))) return NaN;
  return quadraticMean([mean(speedups), mean(sizeRatios)]);
}

/** Deployable models of the task track, each with the first task that uses it. */
function deployedTasks(): { task: string; model: string }[] {
  const seen = new Set<string>();
  return taskDefs().filter((t) => t.deployable !== false && !seen.has(t.model) && seen.add(t.model))
    .map((t) => ({
      task: t.name,
      model: t.model,
    }));
}

/** Builds the hardware-inference table (see the module doc for the columns' metrics). */
export function inferTable(results: RunResult[]): TrackTable {
  const models = [...new Set(results.map((r) => r.spec.model))];
  const batches = [
    ...new Set(
      results.flatMap((r) => (r.spec.options as Partial<InferOptions> | undefined)?.batches ?? []),
    ),
  ].sort((a, b) => a - b);
  const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
  const runs = (b: string, m: string) =>
    results.filter((r) => r.spec.binarizer === b && r.spec.model === m);
  const cell = (xs: number[], ratios: number[]): Cell | null =>
    xs.length === 0 ? null : { mean: mean(xs), std: std(xs), n: xs.length, ratio: mean(ratios) };
  const rows = binarizers.map((b) => {
    const cells: (Cell | null)[] = [];
    const speedups: number[] = [], sizes: number[] = [];
    const extra: Record<string, number> = {};
    for (const m of models) {
      const rs = runs(b, m);
      const get = (k: string) => rs.map((r) => r.metrics[k]).filter((v) => v !== undefined);
      const measured = (k: string) => rs.map((r) => r.timings[k]).filter((v) => v !== undefined);
      for (const n of batches) {
        const c = cell(measured(`latencyB${n}Ms`), measured(`speedupB${n}`));
        cells.push(c);
        if (c) speedups.push(c.ratio);
        extra[`${m}.latencyFpB${n}Ms`] = mean(measured(`latencyFpB${n}Ms`));
      }
      const s = cell(get("sizeBytes"), get("sizeRatio"));
      cells.push(s);
      if (s) sizes.push(s.ratio);
      extra[`${m}.sizeFpBytes`] = mean(get("sizeFpBytes"));
      for (const k of ["agreement", "disagreements", "maxLogitDiff", "testAccuracy"]) {
        extra[`${m}.${k}`] = mean(get(k));
      }
      extra[`${m}.deployAccuracy`] = mean(get("deployAccuracy"));
      extra[`${m}.testImages`] = mean(rs.map((r) => r.dataset?.sizes.test ?? NaN));
      extra[`${m}.loadavg1`] = mean(measured("loadavg1"));
      // The native float baseline (float_native.ts), beside tfjs-wasm: means over seeds.
      const ortKeys = new Set(
        rs.flatMap((r) =>
          Object.keys(r.timings).filter((k) => /^(latency|speedup)Ort\w+B\d+(Ms)?$/.test(k))
        ),
      );
      for (const k of ortKeys) extra[`${m}.${k}`] = mean(measured(k));
      const ortThreads = rs.flatMap((r) => r.floatNative?.threads ?? []);
      if (ortThreads.length) extra[`${m}.ortThreadsAll`] = Math.max(...ortThreads);
      for (const r of rs.slice(0, 1)) {
        for (const [k, v] of Object.entries({ ...r.metrics, ...r.timings })) {
          if (k.startsWith("profileB64.") || k.startsWith("cpu.")) extra[`${m}.${k}`] = v;
        }
      }
    }
    return { binarizer: b, cells, om: omInfer(speedups, sizes), extra };
  });
  return {
    track: "infer",
    title: "Hardware inference",
    metric: "latency / model size",
    omName: "OM_infer",
    columns: models.flatMap((m) => [...batches.map((n) => `${m} b${n}`), `${m} size`]),
    rows,
    notes: [
      "Latency: median ms per batch (batch 1 / 64), one thread, deployed binarized network on the " +
      "bit-packed kernels vs the fp32 network on tfjs-wasm, alternating samples in one " +
      "process; (x) = median of paired T_fp / T_bi. Size: bytes of the deployed model file; (x) = S_fp / S_bi.",
      `Binary kernels (each bundle's results.kernels): ${kernelsNote(results)}.`,
      "OM_infer = sqrt(1/2 (E[T_fp/T_bi]^2 + E[S_fp/S_bi]^2)), E over models x batch sizes (latency) " +
      "and models (size).",
      ...floatNativeNotes(results),
      ...initNotes(results),
    ],
  };
}

export const inferTrack: Track = {
  presentation: inferPresentation,
  executors: { infer: inferRun },
  reuses: (spec) => inferOptions(spec).taskSpec,
  name: "infer",
  title: "Hardware inference",
  // Latency is timed side by side in one process; a second worker would share the core.
  alone: true,
  grid(opts: GridOptions): RunSpec[] {
    const wanted = deployedTasks();
    return taskTrack.grid({ ...opts, seeds: opts.seeds ?? 1 })
      .filter((s) => s.kind === "train" && wanted.some((w) => w.task === s.task))
      .map((s) => inferSpec(s, opts.profile));
  },
  summarize: inferTable,
  resample: inferResample,
  render: renderInferTable,
};

/** A copy of infer run `r` whose speed-ups are medians of its paired ratios drawn again. */
function drawRatios(r: RunResult, rng: Rng): RunResult {
  const timings = { ...r.timings };
  for (const [k, ratios] of Object.entries(r.samples ?? {})) {
    if (!/^speedupB\d+$/.test(k) || ratios.length === 0) continue;
    timings[k] = median(ratios.map(() => ratios[rng.int(ratios.length)]));
  }
  return { ...r, timings };
}

/**
 * The infer track's bootstrap (`Track.resample`; module doc): each (binarizer, model) cell's runs
 * drawn with replacement, each drawn run's paired latency ratios drawn with replacement. Null when
 * no cell has two seeds and no run recorded its ratios.
 */
export function inferResample(results: RunResult[]): ((rng: Rng) => RunResult[]) | null {
  const cells = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${r.spec.binarizer}\u0000${r.spec.model}`;
    cells.set(k, [...(cells.get(k) ?? []), r]);
  }
  const groups = [...cells.values()];
  const varies = groups.some((g) => g.length > 1) ||
    results.some((r) => Object.values(r.samples ?? {}).some((xs) => xs.length > 1));
  if (!varies) return null;
  return (rng) => groups.flatMap((g) => g.map(() => drawRatios(g[rng.int(g.length)], rng)));
}
