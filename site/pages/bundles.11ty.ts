/** Every verified bundle, and every file left out with the reason. */
import { page } from "../lib/layout.ts";
import { html, int } from "../lib/html.ts";
import type { PageData } from "../lib/fragments.ts";

export const data = { permalink: "bundles.html" };

export function render(d: PageData): string {
  const s = d.site;
  const body = html`
    <h1>Result bundles</h1>
    <p class="lead">${int(s.bundleCount)} verified bundle(s) shown, of ${int(s.fileCount)} file(s)
    found. A bundle is shown when its schema, content id, internal consistency and weights file
    check out and it is signed by a trusted key (<code>engine/bundle/verify.ts</code>, the same checks
    as <code>deno task verify</code>).</p>
    <h2 id="excluded">Left out (${int(s.excluded.length)})</h2>
    ${s.excluded.length === 0 ? html`<p>None.</p>` : html`
      <div class="scroll">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">file</th>
              <th scope="col">why</th>
            </tr>
          </thead>
          <tbody>${s.excluded.map((e) =>
            html`
              <tr>
                <td><code class="wrap">${e.file}</code></td>
                <td class="wrap">${e.reason}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </div>
    `}
    <h2>Trusted keys</h2>
    ${s.trustedKeys.length === 0
      ? html`<p>The trusted-keys file lists no keys, so no bundle can be shown.</p>`
      : html`<ul>${
        s.trustedKeys.map((k) =>
          html`<li><code>${k.fingerprint}</code> — <span class="wrap">${k.owner}</span></li>`
        )
      }</ul>`}
    <h2>Shown (${int(s.bundleCount)})</h2>
    <div class="scroll">
      <table class="data sortable compact">
        <thead>
          <tr>
            <th scope="col" data-sort="text">run</th>
            <th scope="col" data-sort="text">binarizer</th>
            <th scope="col" data-sort="num">seed</th>
            <th scope="col" data-sort="text">signed by</th>
            <th scope="col" data-sort="text">created</th>
          </tr>
        </thead>
        <tbody>${d.bundles.map((b) =>
          html`
            <tr>
              <td><a href="bundle/${b.slug}.html">${b.runId}</a></td>
              <td>${b.binarizer}</td>
              <td data-v="${b.seed}">${b.seed}</td>
              <td class="wrap">${b.signer.owner}</td>
              <td>${b.created}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
  return page({ title: "Bundles", root: "", current: "bundles", body, data: d });
}
