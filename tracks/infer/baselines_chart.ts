/**
 * The infer track's speed-ups against each float baseline side by side, per batch size: tfjs-wasm
 * (the one OM_infer is defined against) and onnxruntime's native CPU engine on one thread and on
 * all cores (float_native.ts). Runs without the native engine (older bundles, a platform without
 * it) show the tfjs-wasm bars only; a track with no native figures at all draws no chart.
 */
import type { ChartDef, TrackView } from "../presentation.ts";
import { r3, vlSpec } from "../charts.ts";

/** One bar: a binarizer's speed-up over one baseline at one batch size (model `model`). */
export interface BaselinePoint {
  binarizer: string;
  model: string;
  batch: string;
  baseline: string;
  speedup: number;
}

/** Every binarizer's speed-up per model, batch size and float baseline. */
export function baselinePoints(t: TrackView): BaselinePoint[] {
  const pts: BaselinePoint[] = [];
  t.columns.forEach((col, i) => {
    const m = col.match(/^(.+) b(\d+)$/);
    if (!m) return;
    const [, model, n] = m;
    for (const row of t.rows) {
      const push = (baseline: string, v: number | null | undefined) => {
        if (v !== null && v !== undefined && Number.isFinite(v)) {
          pts.push({ binarizer: row.binarizer, model, batch: `batch ${n}`, baseline, speedup: v });
        }
      };
      push("tfjs-wasm", row.cells[i]?.ratio);
      const all = row.extra[`${model}.ortThreadsAll`];
      push("onnxruntime, 1 thread", row.extra[`${model}.speedupOrt1B${n}`]);
      push(`onnxruntime, ${all ?? "all"} threads`, row.extra[`${model}.speedupOrtAllB${n}`]);
    }
  });
  return pts;
}

/** The grouped bar chart (null when no run timed the native baseline). */
export function baselines(t: TrackView): ChartDef | null {
  const pts = baselinePoints(t).map((p) => ({ ...p, speedup: r3(p.speedup) }));
  if (!pts.some((p) => p.baseline.startsWith("onnxruntime"))) return null;
  const bases = [...new Set(pts.map((p) => p.baseline))];
  const keys = [...new Set(pts.map((p) => `${p.binarizer}\u0000${p.model}\u0000${p.batch}`))];
  return {
    id: "infer-baselines",
    title: "Speed-up against each float baseline",
    description: "Bars: median of paired T_fp / T_bi of the deployed binarized network against " +
      "fp32 on tfjs-wasm (OM_infer's baseline) and against the same fp32 network exported to " +
      "ONNX on onnxruntime's native CPU engine (1 thread, all cores); the binarized side runs on " +
      "one thread. Engine versions: the notes above.",
    spec: vlSpec("Grouped bars of speed-ups per binarizer, baseline and batch size", {
      data: { values: pts },
      width: 320,
      height: 220,
      mark: { type: "bar", tooltip: true },
      encoding: {
        column: { field: "batch", type: "nominal", title: null },
        x: { field: "binarizer", type: "nominal", sort: [...new Set(pts.map((p) => p.binarizer))] },
        xOffset: { field: "baseline", type: "nominal", sort: bases },
        y: { field: "speedup", type: "quantitative", title: "speed-up T_fp / T_bi (×)" },
        color: { field: "baseline", type: "nominal", sort: bases },
        tooltip: [
          { field: "binarizer", type: "nominal" },
          { field: "model", type: "nominal" },
          { field: "batch", type: "nominal" },
          { field: "baseline", type: "nominal" },
          { field: "speedup", type: "quantitative", format: ".2f", title: "speed-up" },
        ],
      },
    }),
    alt: {
      columns: ["binarizer", "model", "batch", ...bases],
      rows: keys.map((k) => {
        const [b, m, n] = k.split("\u0000");
        return [
          b,
          m,
          n,
          ...bases.map((base) =>
            pts.find((p) =>
              p.binarizer === b && p.model === m && p.batch === n && p.baseline === base
            )?.speedup ?? null
          ),
        ];
      }),
    },
  };
}
