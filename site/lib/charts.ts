/**
 * The site's charts: Vega-Lite specs built from the site data (never from bundles directly),
 * compiled to Vega and rendered to SVG at build time (vega's headless View.toSVG, no browser), so
 * pages show them without JavaScript; the compiled Vega spec goes into the page as a data block
 * for vega-embed to make the chart interactive. Each chart carries its data as a table (the text
 * alternative).
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { CurvePoint, SiteData, TrackData } from "./aggregate.ts";

/** A chart as the pages use it. */
export interface ChartData {
  id: string;
  title: string;
  description: string;
  /** Rendered at build time; ids prefixed with the chart id (unique per page, deterministic). */
  svg: string;
  /** The compiled Vega spec (data inline). */
  spec: unknown;
  alt: { columns: string[]; rows: (string | number | null)[][] };
}

interface ChartDef {
  id: string;
  title: string;
  description: string;
  spec: Record<string, unknown>;
  alt: ChartData["alt"];
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const CONFIG = {
  font: FONT,
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 160 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 200 },
};

function vlSpec(description: string, body: Record<string, unknown>) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description,
    background: "white",
    padding: 8,
    config: CONFIG,
    ...body,
  };
}

const r3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);

/** Overview: the six OMs per binarizer, grouped bars. */
function omChart(d: SiteData): ChartDef | null {
  const values = d.site.leaderboard.flatMap((row) =>
    row.oms.flatMap((om, i) =>
      om === null
        ? []
        : [{ binarizer: row.binarizer, om: d.site.omColumns[i].omName, value: r3(om) }]
    )
  );
  if (values.length === 0) return null;
  const binarizers = d.site.leaderboard.map((r) => r.binarizer);
  const oms = d.site.omColumns.map((c) => c.omName);
  return {
    id: "oms",
    title: "The six overall metrics per binarizer",
    description: "Grouped bars: for each binarizer, its OM on each track (1 = as good as " +
      "fp32; symmetric-log scale: the complexity ratios are an order of magnitude above the " +
      "others).",
    spec: vlSpec("Grouped bars of the six overall metrics per binarizer", {
      data: { values },
      layer: [
        {
          mark: { type: "bar", tooltip: true },
          encoding: {
            x: { field: "binarizer", type: "nominal", sort: binarizers, title: null },
            xOffset: { field: "om", type: "nominal", sort: oms },
            y: {
              field: "value",
              type: "quantitative",
              title: "overall metric (fp32 = 1, symlog scale)",
              scale: { type: "symlog" },
            },
            color: { field: "om", type: "nominal", sort: oms, title: "metric" },
            tooltip: [
              { field: "binarizer", type: "nominal" },
              { field: "om", type: "nominal", title: "metric" },
              { field: "value", type: "quantitative", format: ".3f" },
            ],
          },
        },
        {
          mark: { type: "rule", strokeDash: [4, 3], color: "#555" },
          encoding: { y: { datum: 1 } },
        },
      ],
      // With xOffset the step is one bar's width.
      width: { step: 11 },
      height: 260,
    }),
    alt: {
      columns: ["binarizer", ...oms],
      rows: d.site.leaderboard.map((r) => [r.binarizer, ...r.oms.map(r3)]),
    },
  };
}

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
function curvesChart(
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

/** Robustness: corruption x binarizer heatmap of the mean gap. */
function heatmap(t: TrackData): ChartDef | null {
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

/** Training consumption: accuracy per hyperparameter setting and binarizer. */
function sensitivity(t: TrackData): ChartDef | null {
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

/**
 * Hardware inference: accuracy retention (deployed accuracy / fp32's, mean over models) against
 * the measured speed-up (mean of the latency cells' T_fp / T_bi), with the Pareto front.
 */
export function retentionPoints(t: TrackData): {
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

function pareto(t: TrackData): ChartDef | null {
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

/** Renames the ids of an SVG (and their references) to `prefix-N`, in order of appearance. */
export function prefixIds(svg: string, prefix: string): string {
  const ids: string[] = [];
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.includes(m[1])) ids.push(m[1]);
  if (ids.length === 0) return svg;
  const map = new Map(ids.map((id, i) => [id, `${prefix}-${i + 1}`]));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const alt = ids.map(esc).sort((a, b) => b.length - a.length).join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})(")`, "g"), (_m, a, id, c) => a + map.get(id) + c)
    .replace(new RegExp(`url\\(#(${alt})\\)`, "g"), (_m, id) => `url(#${map.get(id)})`)
    .replace(new RegExp(`(href=")#(${alt})(")`, "g"), (_m, a, id, c) => `${a}#${map.get(id)}${c}`);
}

async function render(def: ChartDef): Promise<ChartData> {
  // deno-lint-ignore no-explicit-any
  const spec = vl.compile(def.spec as any).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    const svg = prefixIds(await view.toSVG(), `c-${def.id}`)
      // A responsive figure: the viewBox keeps the aspect, CSS sets the size.
      .replace(/^<svg /, `<svg role="img" aria-labelledby="${def.id}-title" `);
    return { id: def.id, title: def.title, description: def.description, svg, spec, alt: def.alt };
  } finally {
    view.finalize();
  }
}

/** Every chart of the site, by id. */
export async function buildCharts(d: SiteData): Promise<Record<string, ChartData>> {
  const track = (n: string) => d.tracks.find((t) => t.name === n);
  const order = d.binarizers.map((b) => b.name);
  const defs: (ChartDef | null)[] = [omChart(d)];
  const task = track("task");
  if (task) {
    defs.push(
      curvesChart(
        "task-curves",
        "Training curves (learning task)",
        task.curves,
        "binarizer",
        order,
      ),
    );
  }
  const robust = track("robust");
  if (robust) defs.push(heatmap(robust));
  const train = track("train");
  if (train) defs.push(sensitivity(train));
  const infer = track("infer");
  if (infer) defs.push(pareto(infer));
  for (const b of d.binarizers) {
    defs.push(
      curvesChart(
        `curves-${b.slug}`,
        `Training curves of ${b.name} (learning task)`,
        b.curves.filter((c) => c.track === "task"),
        "task",
        order,
      ),
    );
  }
  const out: Record<string, ChartData> = {};
  for (const def of defs) if (def) out[def.id] = await render(def);
  return out;
}
