/** One page per binarizer: the operator and all its results. */
import { chart, page } from "../lib/layout.ts";
import { html, int, num } from "../lib/html.ts";
import type { BinarizerData } from "../lib/aggregate.ts";
import { bundleList, type PageData, trackTable } from "../lib/fragments.ts";

export const data = {
  pagination: { data: "binarizers", size: 1, alias: "bin" },
  permalink: (d: { bin: BinarizerData }) => `binarizer-${d.bin.slug}.html`,
};

const DEPLOY: Record<string, string> = {
  weightScale: "per-output-channel weight scale (folds into the output affine transform)",
  runtimeActivationScale: "a float reduction over every input at run time",
  channelOutputScale: "learnable per-channel output scale (foldable)",
  spatialOutputScale: "h × w spatial scale map multiplied into every output",
  inputThreshold: "per-input-channel threshold before sign (folds into the previous layer)",
};

export function render(d: PageData & { bin: BinarizerData }): string {
  const b = d.bin;
  const flags = Object.entries(b.deploy ?? {}).filter(([, v]) => v).map(([k]) => DEPLOY[k] ?? k);
  const body = html`
    <h1>${b.name}</h1>
    ${b.known ? html`<p class="lead">${b.summary}</p>` : html`
      <p
        class="lead">Not a binarizer of this repository's registry: its results come from a signed bundle.</p>
    `}
    ${b.doc
      ? html`
        <section>
          <h2>Operator</h2>
          <p class="doc">${b.doc}</p>
        </section>
      `
      : html``}
    ${b.deploy
      ? html`<div><p>What deployment needs beyond XNOR + popcount${
        flags.length ? ":" : ": nothing."
      }</p>${flags.length ? html`<ul>${flags.map((f) => html`<li>${f}</li>`)}</ul>` : html``}</div>`
      : html``}
    <p>Forward, backward and scale formulas, schedule and paper: the doc comment of
    <code>engine/binarizers/${b.known ? b.name : "…"}.ts</code>; every operator side by side:
    <code>docs/binarizers.md</code>.</p>
    ${chart(d.charts[`operator-${b.slug}`])}
    <h2>Overall metrics</h2>
    <div class="scroll">
      <table class="data">
        <thead>
          <tr>${d.site.omColumns.map((c) =>
            html`<th scope="col"><a href="track-${c.track}.html">${c.omName}</a></th>`
          )}</tr>
        </thead>
        <tbody>
          <tr>${b.oms.map((om) => html`<td>${num(om)}</td>`)}</tr>
        </tbody>
      </table>
    </div>
    ${chart(d.charts[`curves-${b.slug}`])}
    <h2>Results per track</h2>
    ${b.results.map((r) => {
      const t = d.tracks.find((t) => t.name === r.track)!;
      return html`<h3><a href="track-${r.track}.html">${r.title}</a></h3>
${trackTable(t.cells, r.columns, [r.row], r.omName, "", `${r.title}: ${b.name}`)}
<p class="legend">${t.legend}</p>`;
    })}
    <h2>Bundles (${int(b.bundles.length)})</h2>
    <details><summary>Every run of ${b.name}</summary>${bundleList(b.bundles, "", false)}</details>
  `;
  return page({ title: b.name, root: "", body, data: d });
}
