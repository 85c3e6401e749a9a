/**
 * The registered tracks' presentations (tracks/presentation.ts) with their defaults filled in:
 * the one place the site learns how to show a track. A track the registry does not know (a
 * bundle of another code version) gets the defaults.
 */
import { getTrack, trackNames } from "../../tracks/registry.ts";
import type { CellFormat, TrackChart } from "../../tracks/presentation.ts";

/** A presentation with every field set. */
export interface Presentation {
  omName: string;
  meaning: string;
  cells: CellFormat;
  columnLabel: string;
  /** The unit line under the table, for a track whose cells hold `metric`. */
  legend(metric: string): string;
  charts: TrackChart[];
  /** Its training curves are drawn on each binarizer's page. */
  binarizerCurves: boolean;
}

/** The presentation of track `name`. */
export function presentationOf(name: string): Presentation {
  const p = trackNames().includes(name) ? getTrack(name).presentation : undefined;
  return {
    omName: p?.omName ?? `OM_${name}`,
    meaning: p?.meaning ?? "",
    cells: p?.cells ?? "percent",
    columnLabel: p?.columnLabel ?? "column",
    legend: (metric) =>
      p?.legend ??
        `Cells: ${metric} in percent, mean ± the half-width of its 95% Student-t interval ` +
          "over seeds (— with one seed; the std is in the tooltip); (×) = ratio to fp32 " +
          "(as the track orients it: higher is better); n = seeds.",
    charts: p?.charts ?? [],
    binarizerCurves: p?.binarizerCurves ?? false,
  };
}
