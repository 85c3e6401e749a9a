/**
 * The infer track's second float baseline: the fp32 network exported to ONNX
 * (engine/deploy/onnx/) and run by onnxruntime's native CPU engine, with one intra-op thread and
 * with every core, timed against the deployed binarized network in the same alternating protocol
 * as tfjs-wasm (paired samples, median of the per-pair ratios, its 95% interval). OM_infer stays
 * defined against tfjs-wasm; these speed-ups are reported beside it.
 *
 * The timed ONNX network is the export of the same fp32 network the tfjs-wasm side runs (latency
 * does not depend on weight values). In fp32 runs the trained network is also exported and its
 * predictions on the whole test split compared with tfjs's (`check`): same predicted class
 * expected on every image, logits within float32 summation error (different summation orders;
 * the test bounds the difference at 1e-4 of the largest |logit|). The check's numbers depend on
 * the engine's kernels (AVX2 vs AVX-512 orders), so they live in `results.floatNative`, not in the
 * metrics that `verify --reproduce` compares exactly.
 *
 * Timings, per thread count T in {1, All} and batch n: latencyOrt<T>B<n>Ms (median ms),
 * speedupOrt<T>B<n> (median of paired T_ort / T_bi) with speedupOrt<T>B<n>Lo / Hi,
 * cpuOrt<T>B<n>Ms (process CPU ms, all threads); samples speedupOrt<T>B<n>. The binarized side
 * runs on one thread in both pairings.
 */
import type { Split } from "../../engine/data/mod.ts";
import type { Model } from "../../engine/nn/model.ts";
import type { FloatNative, RunResult } from "../../engine/run.ts";
import type { DeployRuntime } from "../../engine/deploy/runtime.ts";
import { argmaxRows } from "../../engine/deploy/runtime.ts";
import { exportOnnx, toNCHW } from "../../engine/deploy/onnx/export.ts";
import {
  loadOrt,
  ORT_PACKAGE,
  type OrtLoad,
  type OrtSession,
  ortThreadCounts,
} from "../../engine/deploy/onnx/ort.ts";
import { measurePair, medianInterval } from "../../engine/deploy/timing.ts";
import { processCpuMs } from "../../engine/deploy/cpu_clock.ts";
import { tfjsLogits } from "./logits.ts";

/** Timing-key label of a thread count: 1, or All for every core. */
export function threadLabel(threads: number, all: number[]): string {
  return threads === 1 ? "1" : threads === Math.max(...all) ? "All" : `${threads}`;
}

/** What {@link floatNativeBaseline} needs from the infer run. */
export interface FloatNativeInput {
  /** The deployed binarized network (or fp32's deployment in fp32 runs). */
  bi: DeployRuntime;
  /** The fp32 network the tfjs-wasm side runs. */
  fpModel: Model;
  /** fp32 runs: the trained network, its evaluation state and the test split (the check). */
  trained?: { model: Model; state: Record<string, number>; test: Split };
  batchOf(n: number): Float32Array;
  batches: number[];
  budgetMs: number;
  timings: Record<string, number>;
  samples: Record<string, number[]>;
  /** The engine (tests); default: {@link loadOrt}'s. */
  ort?: OrtLoad;
}

/** The ONNX network's logits for a split (NHWC samples, in batches of 256). */
export function onnxLogits(s: OrtSession, model: Model, split: Split): Float32Array {
  const shape = model.inputShape, per = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(split.n * model.numClasses);
  for (let from = 0; from < split.n; from += 256) {
    const n = Math.min(256, split.n - from);
    const x = split.x.subarray(from * per, (from + n) * per);
    const [h, w, c] = shape;
    const y = s.run(toNCHW(x, n, h, w, c), [n, c, h, w]);
    out.set(y, from * model.numClasses);
  }
  return out;
}

/** Compares the ONNX export of a trained network with tfjs on a split. */
export function onnxCheck(
  s: OrtSession,
  model: Model,
  state: Record<string, number>,
  split: Split,
): NonNullable<FloatNative["check"]> {
  const a = tfjsLogits(model, split, state), b = onnxLogits(s, model, split);
  const k = model.numClasses, pa = argmaxRows(a, k), pb = argmaxRows(b, k);
  let same = 0, maxd = 0, maxa = 0;
  for (let i = 0; i < split.n; i++) if (pa[i] === pb[i]) same++;
  for (let i = 0; i < a.length; i++) {
    maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
    maxa = Math.max(maxa, Math.abs(a[i]));
  }
  return {
    images: split.n,
    agreement: same / split.n,
    disagreements: split.n - same,
    maxLogitDiff: maxd,
    maxAbsLogit: maxa,
  };
}

/** Times the native float baseline (module doc); the record for `results.floatNative`. */
export async function floatNativeBaseline(i: FloatNativeInput): Promise<FloatNative> {
  const { engine, reason } = i.ort ?? await loadOrt();
  if (!engine) return { engine: ORT_PACKAGE, available: false, reason, threads: [] };
  const threads = ortThreadCounts();
  const sessions = threads.map((t) => engine.session(exportOnnx(i.fpModel), t));
  let check: FloatNative["check"];
  try {
    if (i.trained) {
      const s = engine.session(exportOnnx(i.trained.model, { state: i.trained.state }), 1);
      try {
        check = onnxCheck(s, i.trained.model, i.trained.state, i.trained.test);
      } finally {
        s.dispose();
      }
    }
    const [h, w, c] = i.fpModel.inputShape;
    for (const n of i.batches) {
      const x = i.batchOf(n), xn = toNCHW(x, n, h, w, c), dims = [n, c, h, w];
      for (const s of sessions) {
        const key = `Ort${threadLabel(s.threads, threads)}B${n}`;
        const pair = measurePair(
          () => i.bi.run(x, n),
          () => s.run(xn, dims),
          i.budgetMs,
          undefined,
          processCpuMs,
        );
        i.timings[`latency${key}Ms`] = pair.b.median;
        // Process CPU time: every thread of the engine's pool counted (above wall time when
        // several cores were free to it).
        i.timings[`cpu${key}Ms`] = pair.b.cpu;
        i.timings[`speedup${key}`] = pair.ratio;
        const [lo, hi] = medianInterval(pair.ratios);
        if (Number.isFinite(lo)) {
          i.timings[`speedup${key}Lo`] = lo, i.timings[`speedup${key}Hi`] = hi;
        }
        i.samples[`speedup${key}`] = pair.ratios;
      }
    }
  } finally {
    for (const s of sessions) s.dispose();
  }
  return {
    engine: ORT_PACKAGE,
    version: engine.version,
    available: true,
    threads,
    ...(check ? { check } : {}),
  };
}

/** The infer table's note on the native float baseline: which engine, or why it is absent. */
export function floatNativeNotes(results: RunResult[]): string[] {
  const recs = results.map((r) => r.floatNative).filter((f) => f !== undefined);
  if (recs.length === 0) return [];
  const used = recs.filter((f) => f.available);
  const versions = [...new Set(used.map((f) => `${f.engine} ${f.version ?? "?"}`))].join(", ");
  const threads = [...new Set(used.flatMap((f) => f.threads))].sort((a, b) => a - b).join(" / ");
  const checks = used.flatMap((f) => f.check ? [f.check] : []);
  const check = checks.length
    ? `; its export of the trained fp32 network agrees with tfjs on ${
      checks.map((c) => `${c.images - c.disagreements}/${c.images}`).join(", ")
    } test images, max |logit diff| ${
      Math.max(...checks.map((c) => c.maxLogitDiff)).toExponential(1)
    }`
    : "";
  const absent = recs.filter((f) => !f.available);
  return [
    ...(used.length
      ? [
        `Native float baseline (beside tfjs-wasm, not in OM_infer): the fp32 network exported to ` +
        `ONNX on ${versions}, CPU, ${threads} intra-op threads; (x) = median of paired ` +
        `T_ort / T_bi, the binarized side on one thread${check}.`,
      ]
      : []),
    ...(absent.length
      ? [`Native float baseline absent in ${absent.length} run(s): ${absent[0].reason ?? "?"}.`]
      : []),
  ];
}
