/**
 * Vega-Lite helpers the tracks' charts share (specs only: the site compiles and renders them),
 * and the training-curves chart (the task track's page and every binarizer's page).
 */
import type { ChartDef, CurvePoint } from "./presentation.ts";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const CONFIG = {
  font: FONT,
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 160 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 200 },
};

/** A Vega-Lite spec with the site's look. */
export function vlSpec(description: string, body: Record<string, unknown>) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description,
    background: "white",
    padding: 8,
    config: CONFIG,
    ...body,
  };
}

/** Rounded to 3 decimals (null stays null). */
export const r3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
/** Rounded to 4 decimals (null stays null). */
export const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);

function curveValues(points: CurvePoint[]) {
  return points.filter((p) => p.valAccuracy !== null).map((p) => ({
    task: `${p.task} (${p.model})`,
    binarizer: p.binarizer,
    epoch: p.epoch,
    valAccuracy: r4(p.valAccuracy),
    trainLoss: r4(p.trainLoss),
    seeds: p.n,
  }));
}

/** Training curves: validation accuracy per epoch (mean over seeds), one panel per task. */
export function curvesChart(
  id: string,
  title: string,
  points: CurvePoint[],
  colorBy: "binarizer" | "task",
  order: string[],
): ChartDef | null {
  const values = curveValues(points);
  if (values.length === 0) return null;
  const tasks = [...new Set(values.map((v) => v.task))];
  const line = {
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", axis: { tickMinStep: 1 }, title: "epoch" },
      y: {
        field: "valAccuracy",
        type: "quantitative",
        title: "validation accuracy",
        axis: { format: ".0%" },
      },
      color: {
        field: colorBy,
        type: "nominal",
        sort: colorBy === "binarizer" ? order : tasks,
      },
      tooltip: [
        { field: "task", type: "nominal" },
        { field: "binarizer", type: "nominal" },
        { field: "epoch", type: "quantitative" },
        { field: "valAccuracy", type: "quantitative", format: ".2%", title: "val accuracy" },
        { field: "trainLoss", type: "quantitative", format: ".3f", title: "train loss" },
        { field: "seeds", type: "quantitative" },
      ],
    },
  };
  const body = colorBy === "binarizer"
    ? {
      data: { values },
      facet: { field: "task", type: "nominal", sort: tasks, title: null },
      columns: 3,
      spec: { ...line, width: 200, height: 150 },
      resolve: { scale: { x: "independent", y: "independent" } },
    }
    : { data: { values }, ...line, width: 360, height: 200 };
  return {
    id,
    title,
    description: "Lines: validation accuracy after each epoch, mean over seeds.",
    spec: vlSpec(title, body),
    alt: {
      columns: ["task", "binarizer", "epoch", "val accuracy", "train loss", "seeds"],
      rows: values.map((v) => [v.task, v.binarizer, v.epoch, v.valAccuracy, v.trainLoss, v.seeds]),
    },
  };
}
