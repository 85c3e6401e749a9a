/** The overview: the leaderboard of every binarizer on the six overall metrics. */
import { chart, page } from "../lib/layout.ts";
import { html, int } from "../lib/html.ts";
import { omHtml, type PageData } from "../lib/fragments.ts";
import { OM_INTERVALS, OM_READING } from "../lib/oms.ts";

export const data = { permalink: "index.html" };

export function render(d: PageData): string {
  const s = d.site;
  const excluded = s.excluded.length
    ? html`; ${int(s.excluded.length)} file(s) left out (<a href="bundles.html#excluded">why</a>).`
    : ".";
  const body = html`
    <h1>Binarization leaderboard</h1>
    <p class="lead">fp32 and ${int(Math.max(0, s.leaderboard.length - 1))} binarizers scored on the
    six tracks of BiBench, from ${int(s.bundleCount)} verified, signed result bundles${excluded}</p>
    ${s.leaderboard.length === 0 ? html`<p class="empty">No verified bundles yet.</p>` : html`
      <div class="scroll">
        <table class="data sortable leaderboard" id="leaderboard">
          <caption>Overall metrics (higher is better, fp32 = 1) with 95% bootstrap intervals (over
          seeds, and over paired timing samples for train and infer; comp is exact) and ranks
          among binarizers (#k= : shared rank, cannot be told apart). Click a column header to
          sort.</caption>
          <thead>
            <tr><th scope="col" data-sort="text">binarizer</th>${s.omColumns.map((c) =>
              html`<th scope="col" data-sort="num"><abbr title="${c.title}">${
                c.omName.replace(/^OM_/, "")
              }</abbr></th>`
            )}</tr>
          </thead>
          <tbody>${s.leaderboard.map((r) =>
            html`<tr><th scope="row"><a href="binarizer-${r.slug}.html">${r.binarizer}</a></th>${
              r.oms.map((om, i) =>
                html`<td data-v="${om ?? ""}"><a href="track-${s.omColumns[i].track}.html">${
                  omHtml(om, { omInterval: r.ranks[i].interval, ...r.ranks[i] })
                }</a></td>`
              )
            }</tr>`
          )}</tbody>
        </table>
      </div>
    `}
    <section class="oms">
      <h2>What the six metrics mean</h2>
      <p>${OM_READING}</p>
      <p>${OM_INTERVALS}</p>
      <dl>${s.omColumns.map((c) =>
        html`
          <dt><a href="track-${c.track}.html">${c.omName}</a> — ${c.title}</dt>
          <dd>${c.meaning}</dd>
        `
      )}</dl>
    </section>
    ${chart(d.charts["oms"])}
    ${s.unknownTracks.length
      ? html`<p class="note">Verified bundles of tracks this code does not know were not scored: ${
        s.unknownTracks.join(", ")
      }.</p>`
      : html``}
  `;
  return page({ title: "Overview", root: "", current: "overview", body, charts: "lazy", data: d });
}
