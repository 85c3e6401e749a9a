/** How the site shows the robust track: what OM_robust means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";
import { heatmap } from "./charts.ts";

/** The robust track's presentation (Track.presentation). */
export const robustPresentation: TrackPresentation = {
  omName: "OM_robust",
  meaning: "Corruption robustness: the accuracy lost to each of the 15 MNIST-C corruptions " +
    "(G = A_clean − A_corrupted) compared with full precision's loss, E[G_fp] / E[G_bi] with " +
    "a noise-floor guard; above 1 means the binarized network loses less.",
  columnLabel: "task / corruption",
  charts: [{ id: "robust-heatmap", build: heatmap }],
};
