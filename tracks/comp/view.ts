/** The comp track's text view (`Track.render`): r_c, r_s and the operation counts behind them. */
import type { TrackTable } from "../track.ts";
import { alignRuled, fixed, si } from "../text_table.ts";

/**
 * Complexity view: r_c and r_s per model and OM_comp; per model the totals of every binarizer
 * and, per layer, the float operations each binarizer adds.
 */
export function renderCompTable(t: TrackTable): string {
  const header = ["binarizer", ...t.columns, t.omName];
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map((c) => (c ? fixed(c.mean) : "-")),
    fixed(r.om, 3),
  ]);
  const out = [
    `${t.title} track — r_c (parameters) and r_s (operations) of each binarized model vs fp32; ` +
    `${t.omName} = sqrt(1/2 (E[r_c]^2 + E[r_s]^2))`,
    ...alignRuled([header, ...body]),
  ];
  const models = [...new Set(t.columns.map((c) => c.split(" ")[0]))];
  for (const m of models) {
    const rows = [[
      `${m} per model`,
      "fp params",
      "1-bit params",
      "FLOPs_left",
      "BOPs",
      "binarizer FLOPs",
    ]];
    for (const r of t.rows) {
      const e = r.extra ?? {};
      rows.push([
        r.binarizer,
        si(e[`${m}.fpParams`]),
        si(e[`${m}.binaryParams`]),
        si(e[`${m}.flopsLeft`]),
        si(e[`${m}.bops`]),
        si(e[`${m}.extraFlops`]),
      ]);
    }
    out.push("", ...alignRuled(rows));
    const layers = [
      ...new Set(
        t.rows.flatMap((r) =>
          Object.keys(r.extra ?? {}).filter((k) => k.startsWith(`${m}/layer.`)).map((k) =>
            k.slice(`${m}/layer.`.length).split(".")[0]
          )
        ),
      ),
    ];
    if (layers.length) {
      const fp = t.rows.find((r) => r.binarizer === "fp32")?.extra ?? {};
      const bi = t.rows.find((r) => r.binarizer !== "fp32")?.extra ?? {};
      const bins = t.rows.filter((r) => r.binarizer !== "fp32");
      const lrows = [["layer", "fp MACs", "BOPs", ...bins.map((r) => `+${r.binarizer}`)]];
      for (const l of layers) {
        lrows.push([
          l,
          si(bi[`${m}/layer.${l}.flops`] ?? fp[`${m}/layer.${l}.flops`]),
          si(bi[`${m}/layer.${l}.bops`]),
          ...bins.map((r) => si(r.extra?.[`${m}/layer.${l}.extraFlops`])),
        ]);
      }
      out.push(...alignRuled(lrows));
    }
  }
  for (const n of t.notes ?? []) out.push(n);
  return out.join("\n");
}
