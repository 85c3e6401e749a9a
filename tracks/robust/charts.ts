/** The robust track's chart: the gap heatmap. */
import type { ChartDef, TrackView } from "../presentation.ts";
import { r3, r4, vlSpec } from "../charts.ts";

/** Robustness: corruption x binarizer heatmap of the mean gap. */
export function heatmap(t: TrackView): ChartDef | null {
  const values = t.rows.flatMap((row) =>
    row.cells.flatMap((c, i) =>
      c && c.mean !== null
        ? [{
          binarizer: row.binarizer,
          corruption: t.columns[i],
          gap: r4(c.mean),
          ratio: r3(c.ratio),
          seeds: c.n,
        }]
        : []
    )
  );
  if (values.length === 0) return null;
  return {
    id: "robust-heatmap",
    title: "Robustness gap per corruption and binarizer",
    description: "Heatmap: G = clean − corrupted accuracy (mean over seeds); darker = larger loss.",
    spec: vlSpec("Heatmap of robustness gaps", {
      data: { values },
      mark: { type: "rect", tooltip: true },
      width: { step: 16 },
      height: { step: 18 },
      encoding: {
        x: { field: "corruption", type: "nominal", sort: t.columns, title: "task / corruption" },
        y: {
          field: "binarizer",
          type: "nominal",
          sort: t.rows.map((r) => r.binarizer),
          title: null,
        },
        color: {
          field: "gap",
          type: "quantitative",
          title: "gap G",
          scale: { scheme: "orangered" },
          legend: { format: ".0%" },
        },
        tooltip: [
          { field: "binarizer", type: "nominal" },
          { field: "corruption", type: "nominal" },
          { field: "gap", type: "quantitative", format: ".2%", title: "gap G" },
          { field: "ratio", type: "quantitative", format: ".3f", title: "guarded G_fp/G_bi" },
          { field: "seeds", type: "quantitative" },
        ],
      },
    }),
    alt: {
      columns: ["binarizer", "task / corruption", "gap G", "ratio", "seeds"],
      rows: values.map((v) => [v.binarizer, v.corruption, v.gap, v.ratio, v.seeds]),
    },
  };
}
