/** How the site shows the robust track: what OM_robust means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";
import { heatmap } from "./charts.ts";

/** The robust track's presentation (Track.presentation). */
export const robustPresentation: TrackPresentation = {
  omName: "OM_robust",
  meaning: "Corruption robustness: the accuracy lost to each of the 15 MNIST-C corruptions " +
    "(G = A_clean − A_corrupted) compared with full precision's loss, E[G_fp] / E[G_bi] with " +
    "a noise-floor guard; above 1 means the binarized network loses less. A corruption that " +
    "leaves fp32 or the binarized network at chance (mean corrupted accuracy below 1/K + " +
    "2·sqrt(p(1−p)/n), p = 1/K classes, n evaluated images) carries no information and is " +
    "left out of that binarizer's OM (struck through in the table, listed in the notes); the " +
    "notes also give each OM's leave-one-corruption-out range [min, max].",
  columnLabel: "task / corruption",
  charts: [{ id: "robust-heatmap", build: heatmap }],
};
