/** The train track's chart: accuracy per hyperparameter setting. */
import type { ChartDef, TrackView } from "../presentation.ts";
import { r4, vlSpec } from "../charts.ts";

/** Training consumption: accuracy per hyperparameter setting and binarizer. */
export function sensitivity(t: TrackView): ChartDef | null {
  const values = t.rows.flatMap((row) =>
    row.cells.flatMap((c, i) =>
      c && c.mean !== null
        ? [{
          binarizer: row.binarizer,
          setting: t.columns[i],
          accuracy: r4(c.mean),
          std: r4(c.std),
          seeds: c.n,
        }]
        : []
    )
  );
  if (values.length === 0) return null;
  return {
    id: "train-sensitivity",
    title: "Hyperparameter sensitivity",
    description: "Lines: test accuracy under each optimizer / learning-rate / schedule setting; " +
      "a flat line is a binarizer that does not care about the setting.",
    spec: vlSpec("Test accuracy per training setting", {
      data: { values },
      mark: { type: "line", point: true, tooltip: true },
      width: { step: 56 },
      height: 260,
      encoding: {
        x: {
          field: "setting",
          type: "nominal",
          sort: t.columns,
          title: "optimizer-lr-schedule",
          axis: { labelAngle: -30 },
        },
        y: {
          field: "accuracy",
          type: "quantitative",
          title: "test accuracy",
          axis: { format: ".0%" },
        },
        color: { field: "binarizer", type: "nominal", sort: t.rows.map((r) => r.binarizer) },
        tooltip: [
          { field: "binarizer", type: "nominal" },
          { field: "setting", type: "nominal" },
          { field: "accuracy", type: "quantitative", format: ".2%" },
          { field: "std", type: "quantitative", format: ".2%" },
          { field: "seeds", type: "quantitative" },
        ],
      },
    }),
    alt: {
      columns: ["binarizer", "setting", "test accuracy", "std", "seeds"],
      rows: values.map((v) => [v.binarizer, v.setting, v.accuracy, v.std, v.seeds]),
    },
  };
}
