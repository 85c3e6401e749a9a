/** Fragments several pages share: track tables, bundle lists, OM cells. */
import type { BundleRef, CellData, RowData, SiteData } from "./aggregate.ts";
import type { ChartData } from "./charts.ts";
import type { DevicesData } from "./devices.ts";
import type { CellFormat } from "../../tracks/presentation.ts";
import { UNCONVERGED_MARK } from "../../tracks/convergence_note.ts";
import { type Html, html, int, num, pct, value } from "./html.ts";

/** What the templates receive: the `_data/` files by name. */
export type PageData = SiteData & { charts: Record<string, ChartData>; devices?: DevicesData };

/** One table cell's text, as the track's presentation says cells read: mean ± std, n, ratio. */
export function cellHtml(format: CellFormat, c: CellData | null): Html {
  if (!c) return html`<td class="na" data-v="">—</td>`;
  const main = format === "ratio"
    ? num(c.mean, 2)
    : format === "value"
    ? `${value(c.mean)} ± ${value(c.std)}`
    : `${pct(c.mean)} ± ${pct(c.half)}`;
  // No ratio (fp32 reference missing or zero): a dash with the reason, never Infinity / NaN.
  const ratio = format === "ratio"
    ? html``
    : c.ratio === null
    ? html`<span class="r" title="no fp32 reference (missing, or zero accuracy)"> (×—)</span>`
    : html`<span class="r"> (×${num(c.ratio)})</span>`;
  const title = format === "percent"
    ? `± 95% Student-t interval half-width over seeds${c.half === null ? " (none: n = 1)" : ""}; ` +
      `std ${pct(c.std)}`
    : "";
  const out = c.excluded
    ? html`
      <span class="x" title="left out of the OM (see the notes)">excluded</span>
    `
    : html``;
  // Seeds that did not converge: the mark and count the CLI prints, explained by the table's note.
  const uc = c.unconverged > 0
    ? html`
      <span class="uc"
        title="${c.unconverged} of ${c
          .n} seed(s) did not converge (see the notes)"> ${`${UNCONVERGED_MARK}${c.unconverged}/${c.n}`}</span>
    `
    : html``;
  return html`
    <td
      data-v="${c.mean ?? ""}"
      ${c.excluded
        ? html`
          class="excluded"
        `
        : html``}><span class="v" title="${title}">${main}</span>${ratio}${uc}${out} <span class="n" title="number of seeds / runs">n=${c
        .n}</span></td>
  `;
}

/**
 * A track table: a row per binarizer, a column per task / model / corruption / setting, and the
 * OM. Tables with many columns (robustness: tasks x corruptions) are transposed so that they
 * read down the page: a row per column, a column per binarizer, the OM as the last row.
 */
export function trackTable(
  cells: CellFormat,
  columns: string[],
  rows: RowData[],
  omName: string,
  root: string,
  caption: string,
): Html {
  const link = (r: RowData) => html`<a href="${root}binarizer-${r.slug}.html">${r.binarizer}</a>`;
  if (columns.length > 10) {
    return html`
      <div class="scroll">
        <table class="data sortable">
          <caption>${caption}</caption>
          <thead>
            <tr><th scope="col" data-sort="text">column</th>${rows.map((r) =>
              html`<th scope="col" data-sort="num">${link(r)}</th>`
            )}</tr>
          </thead>
          <tbody>${columns.map((c, i) =>
            html`<tr><th scope="row">${c}</th>${rows.map((r) => cellHtml(cells, r.cells[i]))}</tr>`
          )}</tbody>
          <tfoot>
            <tr><th scope="row">${omName}</th>${rows.map((r) =>
              html`<td class="om">${omHtml(r.om, r)}</td>`
            )}</tr>
          </tfoot>
        </table>
      </div>
    `;
  }
  return html`
    <div class="scroll">
      <table class="data sortable">
        <caption>${caption}</caption>
        <thead>
          <tr><th scope="col" data-sort="text">binarizer</th>${columns.map((c) =>
            html`<th scope="col" data-sort="num">${c}</th>`
          )}<th scope="col" data-sort="num">${omName}</th></tr>
        </thead>
        <tbody>${rows.map((r) =>
          html`<tr><th scope="row">${link(r)}</th>${
            r.cells.map((c) => cellHtml(cells, c))
          }<td data-v="${r.om ?? ""}" class="om">${omHtml(r.om, r)}</td></tr>`
        )}</tbody>
      </table>
    </div>
  `;
}

/**
 * An OM with its 95% bootstrap interval and its rank among binarizers ("#2=": shared rank, cannot
 * be told apart; docs/metrics.md "Uncertainty"), "exact" for an OM without sampling noise
 * (counts), or the OM alone when the track gives none.
 */
export function omHtml(
  om: number | null,
  u: { omInterval: [number, number] | null; rank: number | null; tied: boolean; exact?: boolean },
): Html {
  if (om === null || !u.omInterval) return html`${num(om)}`;
  const rank = u.rank === null ? html`` : html`
    <span class="rank" title="${u.tied
      ? "shared rank: its interval does not separate it from another binarizer of this rank"
      : "rank among binarizers"}">#${u.rank}${u.tied ? "=" : ""}</span>
  `;
  if (u.exact) {
    return html`
      ${num(om)} <span class="ci" title="exact: counts, no sampling noise">exact</span>${rank}
    `;
  }
  return html`
    ${num(om)} <span class="ci"
      title="95% bootstrap interval (seeds; paired timing samples)">[${num(u.omInterval[0])}, ${num(
        u.omInterval[1],
      )}]</span>${rank}
  `;
}

/** The extra numbers of a track's rows (raw gaps, times, counts), one row per key. */
export function extrasTable(rows: RowData[]): Html {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r.extra)) if (!keys.includes(k)) keys.push(k);
  if (keys.length === 0) return html``;
  return html`
    <details>
      <summary>Raw numbers beside the table (${keys.length} per binarizer)</summary>
      <div class="scroll">
        <table class="data">
          <thead>
            <tr><th scope="col">quantity</th>${rows.map((r) =>
              html`<th scope="col">${r.binarizer}</th>`
            )}</tr>
          </thead>
          <tbody>${keys.map((k) =>
            html`<tr><th scope="row"><code>${k}</code></th>${
              rows.map((r) => html`<td>${value(r.extra[k])}</td>`)
            }</tr>`
          )}</tbody>
        </table>
      </div>
    </details>
  `;
}

/** A list of bundle links. */
export function bundleList(refs: BundleRef[], root: string, withBinarizer = true): Html {
  if (refs.length === 0) return html`<p>No bundles.</p>`;
  return html`
    <div class="scroll">
      <table class="data sortable compact">
        <thead>
          <tr><th scope="col" data-sort="text">run</th><th scope="col" data-sort="text">track</th>${withBinarizer
            ? html`<th scope="col" data-sort="text">binarizer</th>`
            : html``}<th scope="col" data-sort="text">task</th><th scope="col" data-sort="text">model</th><th scope="col" data-sort="num">seed</th></tr>
        </thead>
        <tbody>${refs.map((r) =>
          html`<tr><td><a href="${root}bundle/${r.slug}.html">${r.runId}</a></td><td>${r.track}</td>${
            withBinarizer ? html`<td>${r.binarizer}</td>` : html``
          }<td>${r.task}</td><td>${r.model}</td><td data-v="${r.seed}">${int(r.seed)}</td></tr>`
        )}</tbody>
      </table>
    </div>
  `;
}
