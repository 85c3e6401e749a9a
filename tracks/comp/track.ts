/**
 * Theoretical-complexity track: parameters, FLOPs and binary operations (BOPs) per layer and per
 * model, counted from the layer tree (no training), for every binarizer on every model of
 * {@link COMP_MODELS}; r_c, r_s per model and OM_comp = sqrt(1/2 (E[r_c]^2 + E[r_s]^2)) over the
 * models (docs/metrics.md). Counting conventions: engine/deploy/complexity.ts.
 *
 * Runs: kind "comp", one per (model, binarizer); seeds do not matter (always seed 0).
 * Metrics per run: fpParams, binaryParams, bops, flopsLeft, extraFlops (this binarized model);
 * paramsFp, flopsFp (the full-precision model of the same architecture); rc, rs; and per layer
 * `layer.<name>.{fpParams,binaryParams,flops,bops,extraFlops}`.
 */
import { backendInfo } from "../../engine/tf.ts";
import { runId, type RunOutput, type RunResult, type RunSpec } from "../../engine/run.ts";
import { buildModel, modelNames } from "../../engine/nn/model.ts";
import { UserError } from "../../engine/errors.ts";
import {
  complexityRatios,
  countModel,
  type ModelCount,
  omComp,
} from "../../engine/deploy/complexity.ts";
import type { Cell, GridOptions, Track, TrackTable } from "../track.ts";
import { renderCompTable } from "./view.ts";
import { compPresentation } from "./presentation.ts";

/** Models counted (those registered; 28x28x1 inputs, 10 classes). */
export const COMP_MODELS = ["mlp", "cnn", "vgg-small", "resnet20"];

const INPUT = { inputShape: [28, 28, 1], numClasses: 10 };

function counts(spec: RunSpec, binarizer: string): ModelCount {
  const o = (spec.options ?? {}) as { inputShape?: number[]; numClasses?: number };
  const model = buildModel(spec.model, {
    inputShape: o.inputShape ?? INPUT.inputShape,
    numClasses: o.numClasses ?? INPUT.numClasses,
    binarizer,
    seed: 0,
    width: spec.width,
  });
  try {
    return countModel(model);
  } finally {
    model.store.dispose();
  }
}

/** The "comp" executor: counts the binarized model and its full-precision counterpart. */
export function compRun(spec: RunSpec): Promise<RunOutput> {
  const t0 = performance.now();
  const bi = counts(spec, spec.binarizer);
  const fp = counts(spec, "fp32");
  const { rc, rs } = complexityRatios(fp, bi);
  const metrics: Record<string, number> = {
    fpParams: bi.fpParams,
    binaryParams: bi.binaryParams,
    bops: bi.bops,
    flopsLeft: bi.flopsLeft,
    extraFlops: bi.extraFlops,
    paramsFp: fp.fpParams + fp.binaryParams,
    flopsFp: fp.flopsLeft + fp.bops,
    rc,
    rs,
  };
  for (const l of bi.layers) {
    if (l.kind === "batchnorm") continue;
    for (const k of ["fpParams", "binaryParams", "flops", "bops", "extraFlops"] as const) {
      metrics[`layer.${l.name}.${k}`] = l[k];
    }
  }
  const result: RunResult = {
    spec,
    metrics,
    curves: [],
    timings: { countSeconds: (performance.now() - t0) / 1000 },
    backend: backendInfo(),
  };
  return Promise.resolve({ result });
}

export const compTrack: Track = {
  presentation: compPresentation,
  executors: { comp: compRun },
  name: "comp",
  title: "Theoretical complexity",
  grid({ profile, binarizers }: GridOptions): RunSpec[] {
    const known = modelNames();
    const specs: RunSpec[] = [];
    for (const model of COMP_MODELS.filter((m) => known.includes(m))) {
      for (const binarizer of binarizers) {
        const base = { track: "comp", task: "mnist", model, binarizer, seed: 0 };
        specs.push({
          id: runId(base),
          kind: "comp",
          ...base,
          dataset: "mnist",
          width: 1,
          profile,
          options: { ...INPUT },
        });
      }
    }
    if (specs.length === 0) throw new UserError("comp track: none of its models is registered");
    return specs;
  },
  summarize(results: RunResult[]): TrackTable {
    const models = COMP_MODELS.filter((m) => results.some((r) => r.spec.model === m));
    const binarizers = [...new Set(results.map((r) => r.spec.binarizer))];
    const find = (b: string, m: string) =>
      results.find((r) => r.spec.binarizer === b && r.spec.model === m);
    const cell = (v: number | undefined): Cell | null =>
      v === undefined ? null : { mean: v, std: 0, n: 1, ratio: v };
    const rows = binarizers.map((b) => {
      const cells = models.flatMap((m) => {
        const r = find(b, m);
        return [cell(r?.metrics.rc), cell(r?.metrics.rs)];
      });
      const rc = models.map((m) => find(b, m)?.metrics.rc ?? NaN);
      const rs = models.map((m) => find(b, m)?.metrics.rs ?? NaN);
      const om = [...rc, ...rs].some((x) => Number.isNaN(x)) ? NaN : omComp(rc, rs);
      const extra: Record<string, number> = {};
      for (const m of models) {
        const r = find(b, m);
        if (!r) continue;
        for (const k of ["fpParams", "binaryParams", "bops", "flopsLeft", "extraFlops"]) {
          extra[`${m}.${k}`] = r.metrics[k];
        }
        extra[`${m}.paramsFp`] = r.metrics.paramsFp;
        extra[`${m}.flopsFp`] = r.metrics.flopsFp;
        for (const [k, v] of Object.entries(r.metrics)) {
          if (k.startsWith("layer.")) extra[`${m}/${k}`] = v;
        }
      }
      return { binarizer: b, cells, om, extra };
    });
    return {
      track: "comp",
      title: "Theoretical complexity",
      metric: "r_c / r_s",
      omName: "OM_comp",
      columns: models.flatMap((m) => [`${m} r_c`, `${m} r_s`]),
      rows,
      notes: [
        "r_c = params_fp / (binary_params/32 + fp_params_left); r_s = FLOPs_fp / (BOPs/64 + " +
        "FLOPs_left); OM_comp = sqrt(1/2 (E[r_c]^2 + E[r_s]^2)), E over models.",
        "FLOPs = multiply-accumulates of fp conv/dense layers; FLOPs_left adds each binarizer's " +
        "inference float ops from its formula (scales, spatial map, thresholds, xnor's mean|x|); " +
        "BatchNorm, bias, pooling and activations are not counted (engine/deploy/complexity.ts).",
      ],
    };
  },
  render: renderCompTable,
  // Counts of the layer tree: no seeds, no sampling noise.
  exactOm: true,
};
