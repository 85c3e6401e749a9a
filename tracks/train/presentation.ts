/** How the site shows the train track: what OM_train means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";
import { sensitivity } from "./charts.ts";

/** The train track's presentation (Track.presentation). */
export const trainPresentation: TrackPresentation = {
  omName: "OM_train",
  meaning: "Training consumption: training time relative to full precision (T_fp / T_bi, CPU " +
    "time per training step timed side by side with fp32 in the run's own process) and " +
    "stability across the eight optimizer × learning-rate × schedule settings " +
    "(std_fp / std_bi of accuracy), combined as a quadratic mean.",
  columnLabel: "setting",
  charts: [{ id: "train-sensitivity", build: sensitivity }],
};
