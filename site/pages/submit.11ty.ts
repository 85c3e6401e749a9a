/** How to get a binarizer onto the leaderboard. */
import { page } from "../lib/layout.ts";
import { html } from "../lib/html.ts";
import type { PageData } from "../lib/fragments.ts";

export const data = { permalink: "submit.html" };

export function render(d: PageData): string {
  const body = html`
    <h1>Submit your binarizer</h1>
    <ol class="steps">
      <li>
        <p><strong>Add one file</strong> under <code>engine/binarizers/</code> that calls
    <code>registerBinarizer({...})</code>: a lowercase name, a one-line <code>summary</code>, forward
    functions for weights and activations (gradients via <code>withGradient</code>, see
    <code>ops.ts</code>), optional learnable parameters, output transform and per-epoch schedule, and
    what deployment needs (<code>deploy</code>). Import it from <code>engine/binarizers/mod.ts</code>.
    Layers look binarizers up by name; nothing else changes.</p>
      </li>
      <li>
        <p><strong>Make a signing key</strong> (once): <code>deno task keygen --owner "Your Name"</code>.
    The private key stays in <code>~/.config/bibench</code>; the command prints the public entry.</p>
      </li>
      <li>
        <p><strong>Run the benchmark</strong> with fp32 beside your binarizer, so every ratio has its
    reference: <code>deno task bench --profile full --algo fp32,yourname --out results/yourname</code>
    (add <code>--workers N</code> to use more cores). Every run is written as a signed bundle,
    <code>results/yourname/runs/…json</code>, with its weights file.</p>
      </li>
      <li>
        <p><strong>Check</strong> what you will submit:
    <code>deno task verify --trusted your-trusted-keys.json results/yourname/runs</code>, and preview
    the site: <code>deno task site --bundles results/yourname/runs --trusted your-trusted-keys.json</code>,
    then open <code>_site/index.html</code>.</p>
      </li>
      <li>
        <p><strong>Open a pull request</strong> with the binarizer file, the bundles (copy them under
    <code>bundles/</code>; <code>deno task merge</code> combines directories) and your public key
    added to <code>bundles/trusted-keys.json</code> (<code>deno task keygen --trust</code> does it).
    Reviewers can re-run any bundle with <code>deno task verify --reproduce</code>.</p>
      </li>
    </ol>
    <p>The site only shows bundles that verify and are signed by a key in
    <code>bundles/trusted-keys.json</code>; everything else is listed on the
    <a href="bundles.html#excluded">bundles page</a> with the reason.</p>
  `;
  return page({ title: "Submit", root: "", current: "submit", body, data: d });
}
