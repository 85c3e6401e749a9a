/**
 * "Measure this device": the infer track's timing protocol (engine/deploy/timing.ts: warm-up,
 * calibrated samples, alternating binarized / fp32 sample pairs, medians, speed-up = median of the
 * paired ratios) over runners (runner.ts), at each batch size, for each binarized model. The
 * result is the body of a device bundle (engine/bundle/schema.ts), unsigned.
 */
import { measurePair } from "../../engine/deploy/timing.ts";
import type { DeviceInfo, UnsignedDeviceBundle } from "../../engine/bundle/schema.ts";
import type { Runner } from "./runner.ts";

/**
 * Warm-up calls (`measurePair`'s) and shortest sample, recorded in the bundle. A browser rounds
 * `performance.now()` to 0.1 ms (without cross-origin isolation, which a file:// page cannot
 * have), so a sample lasts at least 20 ms, not the 2 ms of the Deno runs: rounding stays under
 * 0.5% of a sample.
 */
const WARMUP = 3, MIN_SAMPLE_MS = 20;

/** What to measure. */
export interface MeasureOptions {
  batches: number[];
  /** Milliseconds of alternating samples per binarizer and batch size. */
  budgetMs: number;
  minSamples: number;
}

/** A model file that was loaded: its record for the bundle and its runner. */
export interface LoadedModel {
  binarizer: string;
  sha256: string;
  bytes: number;
  runner: Runner;
}

/** Deterministic inputs in [0, 1) (latency does not depend on the values). */
function inputs(n: number): Float32Array {
  const x = new Float32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  return x;
}

/**
 * Times every binarized model against fp32 at every batch size; `progress(done, total, label)`
 * after each pair of models is timed. Returns the bundle body without id and signature.
 */
export function measure(
  model: { name: string; fp32: LoadedModel; files: LoadedModel[] },
  o: MeasureOptions,
  meta: { site: { version: string; tfjs: string }; device: DeviceInfo },
  progress: (done: number, total: number, label: string) => void,
): Omit<UnsignedDeviceBundle, "id"> {
  const t0 = performance.now();
  const created = new Date().toISOString();
  const shape = model.fp32.runner.inputShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const total = o.batches.length * model.files.length;
  const results: UnsignedDeviceBundle["results"] = [];
  for (const n of o.batches) {
    const x = inputs(n * per);
    for (const m of model.files) {
      progress(results.length, total, `${m.binarizer}, batch ${n}`);
      const fp = model.fp32.runner, bi = m.runner;
      const pair = measurePair(
        () => bi.run(x, n),
        () => fp.run(x, n),
        o.budgetMs,
        o.minSamples,
        undefined,
        MIN_SAMPLE_MS,
      );
      results.push({
        binarizer: m.binarizer,
        batch: n as UnsignedDeviceBundle["results"][number]["batch"],
        latencyMs: pair.a.median,
        latencyFpMs: pair.b.median,
        speedup: pair.ratio,
        samples: pair.a.samples,
      });
    }
  }
  progress(total, total, "done");
  const record = (m: LoadedModel) => ({ binarizer: m.binarizer, sha256: m.sha256, bytes: m.bytes });
  return {
    schema: "bibench-device/1",
    created,
    site: meta.site,
    device: meta.device,
    model: {
      name: model.name,
      inputShape: shape,
      fp32: record(model.fp32),
      files: model.files.map(record),
    },
    protocol: {
      warmup: WARMUP,
      minSampleMs: MIN_SAMPLE_MS,
      budgetMs: o.budgetMs,
      minSamples: o.minSamples,
      batches: o.batches as UnsignedDeviceBundle["protocol"]["batches"],
    },
    results,
    seconds: Math.max(1e-3, (performance.now() - t0) / 1000),
  };
}
