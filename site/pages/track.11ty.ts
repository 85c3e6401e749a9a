/** One page per track: the numbers behind its OM. */
import { chart, page } from "../lib/layout.ts";
import { html, int } from "../lib/html.ts";
import type { TrackData } from "../lib/aggregate.ts";
import { bundleList, extrasTable, type PageData, trackTable } from "../lib/fragments.ts";

export const data = {
  pagination: { data: "tracks", size: 1, alias: "track" },
  permalink: (d: { track: TrackData }) => `track-${d.track.name}.html`,
};

export function render(d: PageData & { track: TrackData }): string {
  const t = d.track;
  const body = html`<h1>${t.title} <span class="om-name">${t.omName}</span></h1>
<p class="lead">${t.meaning}</p>
${
    !t.present ? html`<p class="empty">No verified bundles of this track yet.</p>` : html`
      ${trackTable(
        t.cells,
        t.columns,
        t.rows,
        t.omName,
        "",
        `${t.title}: ${t.metric} per binarizer and ${t.columnLabel}`,
      )}
      <p class="legend">${t.legend}</p>
      ${t.notes.map((n) => html`<p class="note">${n}</p>`)}
      ${t.charts.map((id) => chart(d.charts[id]))}
      ${extrasTable(t.rows)}
      <details>
        <summary>The table as <code>deno task bench</code> prints it</summary>
        <pre class="cli">${t.text}</pre>
      </details>
      <h2>Runs (${int(t.runs.length)})</h2>
      <details><summary>Every bundle behind this table</summary>${bundleList(t.runs, "")}</details>
    `
  }`;
  return page({ title: t.title, root: "", current: `track-${t.name}`, body, data: d });
}
