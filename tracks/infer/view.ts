/**
 * Text views of the deployment tracks (their numbers are latencies, sizes and operation counts,
 * not accuracies): hardware inference and theoretical complexity. Tracks expose them as `render`.
 */
import type { Cell, TrackTable } from "../track.ts";

const fix = (x: number | undefined, d = 2) =>
  x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "-";

/** Compact count: 1234567 -> 1.23M. */
export function si(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}K`;
  return String(Math.round(x));
}

/** Aligned text: first column left, the others right. */
function align(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) =>
    r.map((s, i) => (i === 0 ? (s ?? "").padEnd(widths[i]) : (s ?? "").padStart(widths[i])))
      .join("  ")
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}

function cellText(c: Cell | null, value: (m: number) => string): string {
  if (!c) return "-";
  const sd = c.n > 1 ? ` ± ${value(c.std)}` : "";
  return `${value(c.mean)}${sd} (${fix(c.ratio)}x)`;
}

/**
 * Hardware-inference view: per model, latency at each batch size and file size of every
 * deployment with its ratio to fp32, the prediction agreement, OM_infer; then where the batch-64
 * time goes and the machine.
 */
export function renderInferTable(t: TrackTable): string {
  const header = ["binarizer", ...t.columns.map((c) => c.endsWith("size") ? `${c} KB` : `${c} ms`)];
  const models = [...new Set(t.columns.map((c) => c.split(" ")[0]))];
  header.push(...models.map((m) => `${m} agree %`), t.omName);
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map((c, i) =>
      t.columns[i].endsWith("size")
        ? cellText(c, (v) => (v / 1024).toFixed(1))
        : cellText(c, (v) => v.toFixed(v < 10 ? 3 : 1))
    ),
    ...models.map((m) => fix(100 * (r.extra?.[`${m}.agreement`] ?? NaN), 2)),
    fix(r.om, 3),
  ]);
  const out = [
    `${t.title} track — median latency per batch and model-file size of each deployment, ` +
    `(x) = fp32 / binarized; ${t.omName} = quadratic mean of E[speed-up] and E[size ratio]`,
    ...align([header, ...body]),
  ];
  for (const m of models) {
    const fp = t.rows.find((r) => r.binarizer === "fp32") ?? t.rows[0];
    const e = fp?.extra ?? {};
    const fpLat = t.columns.filter((c) => c.startsWith(`${m} b`)).map((c) => {
      const nb = c.slice(`${m} b`.length);
      return `${fix(e[`${m}.latencyFpB${nb}Ms`], 3)} ms (b${nb})`;
    });
    out.push(
      "",
      `${m}: fp32 on tfjs-wasm ${fpLat.join(", ")}, ${si(e[`${m}.sizeFpBytes`])} bytes; ` +
        `test images checked: ${si(e[`${m}.testImages`])}`,
    );
    const kinds = [
      ...new Set(
        t.rows.flatMap((r) =>
          Object.keys(r.extra ?? {}).filter((k) => k.startsWith(`${m}.profileB64.`)).map((k) =>
            k.slice(`${m}.profileB64.`.length)
          )
        ),
      ),
    ];
    if (kinds.length) {
      const rows = [["batch-64 ms by op", ...kinds]];
      for (const r of t.rows) {
        rows.push([r.binarizer, ...kinds.map((k) => fix(r.extra?.[`${m}.profileB64.${k}`]))]);
      }
      out.push(...align(rows));
    }
    const acc = [["accuracy %", "tfjs", "deployed", "disagree", "max |logit diff|"]];
    for (const r of t.rows) {
      const x = r.extra ?? {};
      acc.push([
        r.binarizer,
        fix(100 * x[`${m}.testAccuracy`]),
        fix(100 * x[`${m}.deployAccuracy`]),
        fix(x[`${m}.disagreements`], 0),
        x[`${m}.maxLogitDiff`]?.toExponential(1) ?? "-",
      ]);
    }
    out.push(...align(acc));
    const flags = Object.entries(e).filter(([k, v]) => k.startsWith(`${m}.cpu.`) && v === 1)
      .map(([k]) => k.slice(`${m}.cpu.`.length));
    out.push(
      `machine: ${fix(e[`${m}.cpu.cores`], 0)} cores, flags ${flags.join(" ") || "-"}; ` +
        `load average during the runs ${fix(e[`${m}.loadavg1`])} (above ~1 the machine was shared)`,
    );
  }
  for (const n of t.notes ?? []) out.push(n);
  return out.join("\n");
}

/**
 * Complexity view: r_c and r_s per model and OM_comp; per model the totals of every binarizer
 * and, per layer, the float operations each binarizer adds.
 */
export function renderCompTable(t: TrackTable): string {
  const header = ["binarizer", ...t.columns, t.omName];
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map((c) => (c ? fix(c.mean) : "-")),
    fix(r.om, 3),
  ]);
  const out = [
    `${t.title} track — r_c (parameters) and r_s (operations) of each binarized model vs fp32; ` +
    `${t.omName} = sqrt(1/2 (E[r_c]^2 + E[r_s]^2))`,
    ...align([header, ...body]),
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
    out.push("", ...align(rows));
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
      out.push(...align(lrows));
    }
  }
  for (const n of t.notes ?? []) out.push(n);
  return out.join("\n");
}
