/** How the site shows the comp track: what OM_comp means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";

/** The comp track's presentation (Track.presentation). */
export const compPresentation: TrackPresentation = {
  omName: "OM_comp",
  meaning: "Theoretical complexity: parameter compression r_c and operation speed-up r_s " +
    "counted from the layers (binary parameters / 32, BOPs / 64, plus every float operation " +
    "the operator adds).",
  cells: "ratio",
  legend: "Cells: the ratio itself (one count per model, no seeds).",
};
