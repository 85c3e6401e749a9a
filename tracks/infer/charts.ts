/** The infer track's chart: accuracy retention against speed-up, with the Pareto front. */
import type { ChartDef, TrackView } from "../presentation.ts";
import { r3, r4, vlSpec } from "../charts.ts";

/**
 * Hardware inference: accuracy retention (deployed accuracy / fp32's, mean over models) against
 * the measured speed-up (mean of the latency cells' T_fp / T_bi), with the Pareto front.
 */
export function retentionPoints(t: TrackView): {
  binarizer: string;
  speedup: number;
  retention: number;
  pareto: boolean;
}[] {
  const fp = t.rows.find((r) => r.binarizer === "fp32");
  const models = [
    ...new Set(
      Object.keys(fp?.extra ?? {})
        .filter((k) => k.endsWith(".deployAccuracy"))
        .map((k) => k.slice(0, -".deployAccuracy".length)),
    ),
  ];
  const pts = t.rows.flatMap((row) => {
    const speed = row.cells
      .map((c, i) => (/ b\d+$/.test(t.columns[i]) ? c?.ratio ?? null : null))
      .filter((x): x is number => x !== null);
    const ret = models.map((m) => {
      const a = row.extra[`${m}.deployAccuracy`], f = fp?.extra[`${m}.deployAccuracy`];
      return a !== null && a !== undefined && f ? a / f : null;
    }).filter((x): x is number => x !== null && Number.isFinite(x));
    if (speed.length === 0 || ret.length === 0) return [];
    return [{
      binarizer: row.binarizer,
      speedup: speed.reduce((a, b) => a + b, 0) / speed.length,
      retention: ret.reduce((a, b) => a + b, 0) / ret.length,
      pareto: false,
    }];
  });
  for (const p of pts) {
    p.pareto = !pts.some((q) =>
      q !== p && q.speedup >= p.speedup && q.retention >= p.retention &&
      (q.speedup > p.speedup || q.retention > p.retention)
    );
  }
  return pts;
}

/** The retention / speed-up chart with its Pareto front. */
export function pareto(t: TrackView): ChartDef | null {
  const pts = retentionPoints(t).map((p) => ({
    ...p,
    speedup: r3(p.speedup),
    retention: r4(p.retention),
    front: p.pareto ? "on the Pareto front" : "dominated",
  }));
  if (pts.length === 0) return null;
  const x = { field: "speedup", type: "quantitative", title: "measured speed-up T_fp / T_bi (×)" };
  const y = {
    field: "retention",
    type: "quantitative",
    title: "accuracy retention (deployed / fp32)",
    scale: { zero: false },
    axis: { format: ".0%" },
  };
  return {
    id: "infer-pareto",
    title: "Accuracy retention vs measured speed-up",
    description: "Points: binarizers; the line joins the Pareto front (no other binarizer is " +
      "both faster and more accurate).",
    spec: vlSpec("Scatter of accuracy retention against speed-up with the Pareto front", {
      data: { values: pts },
      width: 420,
      height: 280,
      layer: [
        {
          transform: [{ filter: "datum.pareto" }],
          mark: { type: "line", color: "#888", strokeDash: [5, 3] },
          encoding: { x: { ...x }, y: { ...y }, order: { field: "speedup" } },
        },
        {
          mark: { type: "point", filled: true, size: 80, tooltip: true },
          encoding: {
            x,
            y,
            color: { field: "binarizer", type: "nominal", sort: pts.map((p) => p.binarizer) },
            shape: { field: "front", type: "nominal", title: null },
            tooltip: [
              { field: "binarizer", type: "nominal" },
              { field: "speedup", type: "quantitative", format: ".2f", title: "speed-up" },
              { field: "retention", type: "quantitative", format: ".2%" },
              { field: "front", type: "nominal" },
            ],
          },
        },
        {
          mark: { type: "text", dx: 7, align: "left", baseline: "middle", fontSize: 10 },
          encoding: { x, y, text: { field: "binarizer" } },
        },
      ],
    }),
    alt: {
      columns: ["binarizer", "speed-up", "accuracy retention", "Pareto front"],
      rows: pts.map((p) => [p.binarizer, p.speedup, p.retention, p.pareto ? "yes" : "no"]),
    },
  };
}
