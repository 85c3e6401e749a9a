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
    out.push(...baselineRows(t, m));
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

/** Labels of the float baselines present for model `m` (timing-key infix -> heading). */
export function baselinesOf(t: TrackTable, m: string): { key: string; label: string }[] {
  const all = t.rows.map((r) => r.extra?.[`${m}.ortThreadsAll`]).find((v) => v !== undefined);
  const ort = [
    ...new Set(
      t.rows.flatMap((r) =>
        Object.keys(r.extra ?? {}).flatMap((k) => {
          const g = k.match(new RegExp(`^${m}\\.speedupOrt(\\w+)B\\d+$`));
          return g ? [g[1]] : [];
        })
      ),
    ),
  ].sort();
  return [
    { key: "", label: "tfjs-wasm" },
    ...ort.map((T) => ({
      key: `Ort${T}`,
      label: `onnxruntime ${T === "1" ? "1 thread" : T === "All" ? `${all ?? "all"} threads` : T}`,
    })),
  ];
}

/** Speed-up of each binarizer over each float baseline, per batch size (empty with one). */
function baselineRows(t: TrackTable, m: string): string[] {
  const bases = baselinesOf(t, m);
  if (bases.length < 2) return [];
  const batches = t.columns.filter((c) => c.startsWith(`${m} b`)).map((c) => c.slice(m.length + 2));
  const fp = t.rows.find((r) => r.binarizer === "fp32")?.extra ?? {};
  const head = ["speed-up vs", ...batches.flatMap((n) => bases.map((b) => `b${n} ${b.label}`))];
  const fpRow = [
    "(fp32 ms)",
    ...batches.flatMap((n) =>
      bases.map((b) => fixed(fp[`${m}.latency${b.key || "Fp"}B${n}Ms`], 3))
    ),
  ];
  const rows = t.rows.map((r) => [
    r.binarizer,
    ...batches.flatMap((n) =>
      bases.map((b) => {
        if (!b.key) {
          const i = t.columns.indexOf(`${m} b${n}`);
          return `${fixed(r.cells[i]?.ratio ?? NaN)}x`;
        }
        return `${fixed(r.extra?.[`${m}.speedup${b.key}B${n}`] ?? NaN)}x`;
      })
    ),
  ]);
  return alignRuled([head, fpRow, ...rows]);
}
