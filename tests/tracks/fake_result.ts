/** Hand-made run results for the tracks' metric tests: a spec with defaults, the given metrics. */
import type { RunResult, RunSpec } from "../../engine/run.ts";

/** A result of `spec` (defaults: task track, mnist, cnn, fp32, seed 0) with `metrics`. */
export function fakeResult(
  spec: Partial<RunSpec>,
  metrics: Record<string, number>,
  timings = {},
  more: Partial<RunResult> = {},
): RunResult {
  return {
    spec: {
      id: "x",
      kind: "train",
      track: "t",
      task: "t",
      dataset: "mnist",
      model: "cnn",
      width: 1,
      binarizer: "fp32",
      seed: 0,
      profile: "smoke",
      ...spec,
    },
    metrics,
    curves: [],
    timings,
    backend: { backend: "wasm", tfjs: "4.22.0", simd: true },
    ...more,
  };
}
