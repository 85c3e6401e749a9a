/** How the site shows the infer track: what OM_infer means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";
import { pareto } from "./charts.ts";
import { baselines } from "./baselines_chart.ts";

/** The infer track's presentation (Track.presentation). */
export const inferPresentation: TrackPresentation = {
  omName: "OM_infer",
  meaning: "Hardware inference: measured speed-up of the deployed bit-packed network over the " +
    "fp32 network (batch 1 and 64) and its model-file size ratio S_fp / S_bi.",
  cells: "value",
  legend: "Cells: mean ± std over seeds of the median latency (ms) or the model file size " +
    "(bytes); (×) = T_fp / T_bi or S_fp / S_bi.",
  charts: [
    { id: "infer-pareto", build: pareto },
    { id: "infer-baselines", build: baselines },
  ],
};
