/**
 * The train track's time ratio from paired measurements in one process. Wall times of separate
 * runs carry whatever else the machine ran meanwhile (fp32's own training time ranged 3.2-6.6 s
 * across seeds of one setting in the published set: as wide as the differences between
 * binarizers), so after a binarized run has trained, the same process times short bursts of
 * training steps of its network and of the fp32 network of the same architecture, alternating,
 * on the same batches with the same optimizer settings. Each sample records the process CPU time
 * per step (what the step costs this process, not how long other processes held the core) and
 * the wall time beside it. The run's T_fp / T_bi is the median of the per-pair ratios of CPU
 * times, with a distribution-free 95% interval (engine/deploy/timing.ts `medianInterval`).
 * Measured on the 2-core development machine at load average 5 (bnn vs fp32, mlp, batch 64, ten
 * pairs of eight steps, twice): CPU ratios 0.81 [0.72, 0.86] and 0.78 [0.71, 0.84], wall ratios
 * 0.75 [0.65, 0.87] and 0.75 [0.57, 0.80].
 *
 * A spec asks for it with `options.stepTiming = { steps, pairs }` (the train track's grid sets it
 * on every run, fp32 included, so a child's parent spec is the fp32 run's own). fp32 runs time
 * nothing: T_fp / T_fp = 1. The measurement comes after training and scoring, so it changes no
 * metric; it adds `timings.step*` and `samples.step*` (see {@link withStepTiming}).
 */
import { processCpuMs } from "../../engine/deploy/cpu_clock.ts";
import { loadDataset, subset } from "../../engine/data/mod.ts";
import { modelFor } from "../../engine/executors/train.ts";
import { train } from "../../engine/nn/train.ts";
import type { Model } from "../../engine/nn/model.ts";
import type { Executor, RunResult, RunSpec } from "../../engine/run.ts";
import { median, medianInterval } from "../../engine/deploy/timing.ts";
import { UserError } from "../../engine/errors.ts";
import type { Split } from "../../engine/data/mod.ts";

/** How much to time: `pairs` alternating samples, each `steps` training steps per network. */
export interface StepTimingOptions {
  steps: number;
  pairs: number;
}

/** The run's step-timing options, or null when it asks for none; a one-line error when malformed. */
export function stepTimingOf(spec: RunSpec): StepTimingOptions | null {
  const o = (spec.options as { stepTiming?: Partial<StepTimingOptions> } | undefined)?.stepTiming;
  if (o === undefined) return null;
  const ok = (x: unknown, max: number) =>
    Number.isInteger(x) && (x as number) >= 1 && x as number <= max;
  if (!ok(o?.steps, 10_000) || !ok(o?.pairs, 1000)) {
    throw new UserError(`run ${spec.id}: options.stepTiming needs integer steps and pairs >= 1`);
  }
  return { steps: o.steps!, pairs: o.pairs! };
}

/** Per-step times of alternating samples, in ms: wall and process CPU, index i = pair i. */
export interface PairedSteps {
  ms: number[];
  fpMs: number[];
  cpuMs: number[];
  cpuFpMs: number[];
}

/** Wall and process-CPU milliseconds of one call of `fn`. */
function timed(fn: () => void): [number, number] {
  const c = processCpuMs();
  const s = performance.now();
  fn();
  const wall = performance.now() - s;
  return [wall, processCpuMs() - c];
}

/**
 * Times `a` and `b` (each one burst of `steps` training steps) in `pairs` alternating samples
 * after one warm-up call of each; the order alternates too (a b, b a, a b, ...), so a drift in the
 * machine's load falls on both sides alike. Returns per-step milliseconds.
 */
export function pairedSteps(
  a: () => void,
  b: () => void,
  steps: number,
  pairs: number,
): PairedSteps {
  a();
  b();
  const out: PairedSteps = { ms: [], fpMs: [], cpuMs: [], cpuFpMs: [] };
  for (let i = 0; i < pairs; i++) {
    let ta: [number, number], tb: [number, number];
    if (i % 2 === 0) {
      ta = timed(a);
      tb = timed(b);
    } else {
      tb = timed(b);
      ta = timed(a);
    }
    out.ms.push(ta[0] / steps), out.cpuMs.push(ta[1] / steps);
    out.fpMs.push(tb[0] / steps), out.cpuFpMs.push(tb[1] / steps);
  }
  return out;
}

/** The per-pair ratios T_fp / T_bi of paired per-step times (`fp[i] / bi[i]`). */
export function pairRatios(fp: readonly number[], bi: readonly number[]): number[] {
  return fp.map((f, i) => f / bi[i]);
}

/**
 * The run's T_fp / T_bi from its recorded samples (the median of the per-pair ratios of CPU
 * times per step), or NaN when the run has none (bundles made before paired timing).
 */
export function stepRatioOf(r: Pick<RunResult, "samples">): number {
  const fp = r.samples?.stepCpuFpMs, bi = r.samples?.stepCpuMs;
  if (!fp?.length || fp.length !== bi?.length) return NaN;
  return median(pairRatios(fp, bi));
}

/** The 1-minute load average, or -1 where the platform does not say. */
function loadAverage(): number {
  try {
    return Deno.loadavg()[0];
  } catch {
    return -1;
  }
}

/** The first `steps` full batches of `split` (fewer when it is smaller). */
function burst(split: Split, batchSize: number, steps: number): Split {
  const n = Math.min(split.n, steps * batchSize);
  return subset(split, Array.from({ length: n }, (_, i) => i));
}

/**
 * The "train" executor `inner` with paired step timing after it (see the module doc): for a
 * binarized run whose spec has `options.stepTiming`, rebuilds its network with the trained
 * weights and the fp32 network of the same architecture (seeded init: the cost of a step does not
 * depend on the weights' values), and times them side by side on the run's first training
 * batches. Adds to the result: `timings.stepCpuMs` / `stepCpuFpMs` (median process CPU ms per
 * step), `stepMs` / `stepFpMs` (median wall ms per step), `stepRatio` (median of the paired CPU
 * T_fp / T_bi), `stepRatioLo` / `stepRatioHi` (its 95% interval, when pairs >= 6),
 * `stepWallRatio` (the same median of wall times), `stepTimingSeconds`, `stepLoadavg1` (load
 * average when the timing started); `samples.stepCpuMs`, `stepCpuFpMs`, `stepMs`, `stepFpMs`.
 */
export function withStepTiming(inner: Executor): Executor {
  return async (spec, env, hooks) => {
    const o = stepTimingOf(spec); // a malformed option fails before any training
    const out = await inner(spec, env, hooks);
    if (!o || spec.binarizer === "fp32" || !spec.train || !out.weights) return out;
    const t0 = performance.now();
    const data = await loadDataset(spec.dataset, {
      dir: env.dataDir,
      seed: spec.seed,
      limit: spec.limit,
    });
    const bs = Math.min(spec.train.batchSize, data.train.n);
    const steps = Math.max(1, Math.min(o.steps, Math.floor(data.train.n / bs)));
    const batches = { train: burst(data.train, bs, steps), val: subset(data.val, []) };
    const cfg = { ...spec.train, epochs: 1, seed: spec.seed };
    const models: Model[] = [];
    try {
      const bi = modelFor(spec, data);
      models.push(bi);
      bi.store.restore(out.weights);
      const fp = modelFor(spec, data, "fp32");
      models.push(fp);
      const loadavg1 = loadAverage();
      const t = pairedSteps(
        () => train(bi, batches, cfg),
        () => train(fp, batches, cfg),
        steps,
        o.pairs,
      );
      const ratios = pairRatios(t.cpuFpMs, t.cpuMs);
      // A process CPU clock that did not advance gives no ratio: record nothing (wall-time rule).
      if (!ratios.every((x) => Number.isFinite(x) && x > 0)) return out;
      const [lo, hi] = medianInterval(ratios);
      const r = out.result;
      r.timings = {
        ...r.timings,
        stepMs: median(t.ms),
        stepFpMs: median(t.fpMs),
        stepCpuMs: median(t.cpuMs),
        stepCpuFpMs: median(t.cpuFpMs),
        stepRatio: median(ratios),
        ...(Number.isFinite(lo) ? { stepRatioLo: lo, stepRatioHi: hi } : {}),
        stepWallRatio: median(pairRatios(t.fpMs, t.ms)),
        ...(loadavg1 >= 0 ? { stepLoadavg1: loadavg1 } : {}),
        stepTimingSeconds: (performance.now() - t0) / 1000,
      };
      r.samples = {
        ...r.samples,
        stepCpuMs: t.cpuMs,
        stepCpuFpMs: t.cpuFpMs,
        stepMs: t.ms,
        stepFpMs: t.fpMs,
      };
      return out;
    } finally {
      for (const m of models) m.store.dispose();
    }
  };
}
