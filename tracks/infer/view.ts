/** The infer track's text view (`Track.render`): latencies, sizes, agreement, the machine. */
import type { Cell, TrackTable } from "../track.ts";
import { alignRuled, fixed, si } from "../text_table.ts";

function cellText(c: Cell | null, value: (m: number) => string): string {
  if (!c) return "-";
  const sd = c.n > 1 ? ` ± ${value(c.std)}` : "";
  return `${value(c.mean)}${sd} (${fixed(c.ratio)}x)`;
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
    ...models.map((m) => fixed(100 * (r.extra?.[`${m}.agreement`] ?? NaN), 2)),
    fixed(r.om, 3),
  ]);
  const out = [
    `${t.title} track — median latency per batch and model-file size of each deployment, ` +
    `(x) = fp32 / binarized; ${t.omName} = quadratic mean of E[speed-up] and E[size ratio]`,
    ...alignRuled([header, ...body]),
  ];
  for (const m of models) {
    const fp = t.rows.find((r) => r.binarizer === "fp32") ?? t.rows[0];
    const e = fp?.extra ?? {};
    const fpLat = t.columns.filter((c) => c.startsWith(`${m} b`)).map((c) => {
      const nb = c.slice(`${m} b`.length);
      return `${fixed(e[`${m}.latencyFpB${nb}Ms`], 3)} ms (b${nb})`;
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
        rows.push([r.binarizer, ...kinds.map((k) => fixed(r.extra?.[`${m}.profileB64.${k}`]))]);
      }
      out.push(...alignRuled(rows));
    }
    const acc = [["accuracy %", "tfjs", "deployed", "disagree", "max |logit diff|"]];
    for (const r of t.rows) {
      const x = r.extra ?? {};
      acc.push([
        r.binarizer,
        fixed(100 * x[`${m}.testAccuracy`]),
        fixed(100 * x[`${m}.deployAccuracy`]),
        fixed(x[`${m}.disagreements`], 0),
        x[`${m}.maxLogitDiff`]?.toExponential(1) ?? "-",
      ]);
    }
    out.push(...alignRuled(acc));
    const flags = Object.entries(e).filter(([k, v]) => k.startsWith(`${m}.cpu.`) && v === 1)
      .map(([k]) => k.slice(`${m}.cpu.`.length));
    out.push(
      `machine: ${fixed(e[`${m}.cpu.cores`], 0)} cores, flags ${flags.join(" ") || "-"}; ` +
        `load average during the runs ${
          fixed(e[`${m}.loadavg1`])
        } (above ~1 the machine was shared)`,
    );
  }
  for (const n of t.notes ?? []) out.push(n);
  return out.join("\n");
}
