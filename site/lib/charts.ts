/**
 * The site's charts: Vega-Lite specs built from the site data (never from bundles directly),
 * compiled to Vega and rendered to SVG at build time (vega's headless View.toSVG, no browser), so
 * pages show them without JavaScript; the compiled Vega spec goes into the page as a data block
 * for vega-embed to make the chart interactive. Each chart carries its data as a table (the text
 * alternative).
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { SiteData } from "./aggregate.ts";
import type { ChartDef } from "../../tracks/presentation.ts";
import { curvesChart, r3, r4, vlSpec } from "../../tracks/charts.ts";
import { presentationOf } from "./tracks.ts";
import { initBackend } from "../../engine/tf.ts";
import { getBinarizer } from "../../engine/binarizers/mod.ts";
import { binarizerCurves } from "../../engine/binarizers/curves.ts";

/** A chart as the pages use it. */
export interface ChartData {
  id: string;
  title: string;
  description: string;
  /** Rendered at build time; ids prefixed with the chart id (unique per page, deterministic). */
  svg: string;
  /** The compiled Vega spec (data inline). */
  spec: unknown;
  alt: ChartDef["alt"];
}

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

/** The epochs the operator charts take the schedule of (the published full profile's). */
const CURVE_EPOCHS = 3;

/** Schedule values as "tau = 0.85", "n = 9, alpha = 0.075". */
function stateText(state: Record<string, number>): string {
  return Object.entries(state).map(([k, v]) => `${k} = ${Number(v.toPrecision(4))}`).join(", ");
}

/**
 * What a registered binarizer computes: its forward function and gradient on [-2, 2], for
 * activations and weights, computed from the registered functions (engine/binarizers/curves.ts).
 */
function operatorChart(name: string, slug: string): ChartDef {
  const b = getBinarizer(name);
  const c = binarizerCurves(b, { epoch: 0, epochs: CURVE_EPOCHS });
  const values = c.points.flatMap((p) => [
    { side: p.side, x: r4(p.x), quantity: "forward", value: r4(p.forward) },
    { side: p.side, x: r4(p.x), quantity: "gradient", value: r4(p.gradient) },
  ]);
  const schedule = c.schedule.length === 0
    ? "No schedule."
    : `Schedule of the first of ${CURVE_EPOCHS} epochs: ${stateText(c.state)} (per epoch: ${
      c.schedule.map((s, e) => `${e + 1}: ${stateText(s)}`).join("; ")
    }).`;
  const learnable = b.params ? " Learnable parameters at their initial values." : "";
  return {
    id: `operator-${slug}`,
    title: `What ${name} computes: forward and gradient`,
    description: "Lines: the binarizer's output and the gradient it passes back, for one sample " +
      "of activations (scales over the sample) and one output channel of weights (scales over " +
      `the channel), from the registered functions, in training mode.${learnable} ${schedule}`,
    spec: vlSpec(`Forward and gradient of ${name}`, {
      data: { values },
      facet: {
        column: { field: "quantity", type: "nominal", title: null, sort: ["forward", "gradient"] },
      },
      spec: {
        width: 220,
        height: 160,
        mark: { type: "line", tooltip: true },
        encoding: {
          x: { field: "x", type: "quantitative", title: "input (x or w)" },
          y: { field: "value", type: "quantitative", title: null },
          color: { field: "side", type: "nominal", title: null, sort: ["activations", "weights"] },
          strokeDash: { field: "side", type: "nominal", sort: ["activations", "weights"] },
          tooltip: [
            { field: "side", type: "nominal" },
            { field: "quantity", type: "nominal" },
            { field: "x", type: "quantitative", format: ".2f" },
            { field: "value", type: "quantitative", format: ".4f" },
          ],
        },
      },
      resolve: { scale: { y: "independent" } },
    }),
    alt: {
      columns: ["side", "x", "forward", "gradient"],
      rows: c.points.map((p) => [p.side, r4(p.x), r4(p.forward), r4(p.gradient)]),
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

/** A chart definition compiled and rendered (SVG at build time, spec for vega-embed). */
export async function renderChart(def: ChartDef): Promise<ChartData> {
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

/**
 * Every chart of the site, by id: the overview, each track's (in track order), each binarizer's
 * training curves and operator (forward and gradient).
 */
export async function buildCharts(d: SiteData): Promise<Record<string, ChartData>> {
  const order = d.binarizers.map((b) => b.name);
  const defs: (ChartDef | null)[] = [omChart(d)];
  for (const t of d.tracks) {
    for (const c of presentationOf(t.name).charts) defs.push(c.build(t, order));
  }
  for (const t of d.tracks.filter((t) => presentationOf(t.name).binarizerCurves)) {
    for (const b of d.binarizers) {
      defs.push(
        curvesChart(
          `curves-${b.slug}`,
          `Training curves of ${b.name} (${t.title.toLowerCase()})`,
          b.curves.filter((c) => c.track === t.name),
          "task",
          order,
        ),
      );
    }
  }
  const known = d.binarizers.filter((b) => b.known);
  if (known.length > 0) await initBackend("cpu");
  for (const b of known) defs.push(operatorChart(b.name, b.slug));
  const out: Record<string, ChartData> = {};
  for (const def of defs) if (def) out[def.id] = await renderChart(def);
  return out;
}
