/** One page per bundle: configuration, seeds, environment, signer, verification, raw JSON. */
import { page } from "../lib/layout.ts";
import { Html, html, int, linkOrText, value } from "../lib/html.ts";
import { printable } from "../../engine/printable.ts";
import type { BundleData } from "../lib/aggregate.ts";
import type { PageData } from "../lib/fragments.ts";

export const data = {
  pagination: { data: "bundles", size: 1, alias: "b" },
  permalink: (d: { b: BundleData }) => `bundle/${d.b.slug}.html`,
};

/** A value as text: markup as is, objects as JSON with control and bidi characters escaped. */
function shown(v: unknown): unknown {
  if (v instanceof Html) return v;
  return v !== null && typeof v === "object" ? printable(JSON.stringify(v)) : String(v);
}

function dl(entries: [string, unknown][]): Html {
  return html`<dl class="kv">${
    entries.map(([k, v]) =>
      html`
        <dt>${k}</dt>
        <dd class="wrap">${shown(v)}</dd>
      `
    )
  }</dl>`;
}

function numbers(rec: Record<string, number>): Html {
  const keys = Object.keys(rec).sort();
  if (keys.length === 0) return html`<p>None.</p>`;
  return html`
    <div class="scroll">
      <table class="data compact">
        <tbody>${keys.map((k) =>
          html`
            <tr>
              <th scope="row"><code class="wrap">${k}</code></th>
              <td>${value(rec[k])}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

export function render(d: PageData & { b: BundleData }): string {
  const b = d.b;
  const e = b.environment;
  const body = html`
    <h1 class="wrap">${b.runId}</h1>
    <p
      class="status ok">Verified: schema, content id, consistency${b.weights &&
          !b.notes.includes("weights file not present")
        ? ", weights file"
        : ""} and a valid signature by a trusted key.${b.notes.length
        ? html`
          Notes: ${b.notes.join("; ")}.
        `
        : html``}</p>
    ${!b.knownTrack
      ? html`<p class="note">This code has no track named ${b.track}: the run is not scored.</p>`
      : html``}
    <p><a href="${b.slug}.json" type="application/json">Raw bundle (canonical JSON, as signed)</a> ·
    ${b.knownTrack
      ? html`track <a href="../track-${b.track}.html">${b.track}</a>`
      : html`track ${b.track}`} · binarizer <a href="../binarizer-${b.binSlug}.html">${b
      .binarizer}</a></p>
    <h2>Signature</h2>
    ${dl([["key id", b.signer.keyId], ["owner", b.signer.owner], ["content id", b.id], [
      "created",
      b.created,
    ], ["file", b.file]])}
    <h2>Configuration</h2>
    ${dl([
      ["run id", b.config.id],
      ["kind", b.config.kind],
      ["track", b.config.track],
      ["task", b.config.task],
      ["dataset", b.config.dataset],
      ["model", b.config.model],
      ["width", b.config.width],
      ["binarizer", b.config.binarizer],
      ["seed", b.config.seed],
      ["profile", b.config.profile],
      ["init", b.config.init ?? "scratch (not recorded: made before --init existed)"],
      ...(b.parent
        ? [[
          "parent",
          `${b.parent.run} (bundle ${b.parent.id ?? "not stored: retrained"}; ` +
          `weights sha256 ${b.parent.sha256}; ${b.parent.copied} tensors ` +
          `copied, ${b.parent.kept} kept)`,
        ] as [string, unknown]]
        : []),
    ])}
    ${b.config.train ? html`<h3>Training</h3>${dl(Object.entries(b.config.train))}` : html``}
    ${b.config.limit ? html`<h3>Sample limits</h3>${dl(Object.entries(b.config.limit))}` : html``}
    ${b.config.options
      ? html`
        <details>
          <summary>Executor options</summary>
          <pre class="wrap">${printable(JSON.stringify(b.config.options, null, 1))}</pre>
        </details>
      `
      : html``}
    <h2>Seeds</h2>
    ${dl(Object.entries(b.seeds))}
    <h2>Environment</h2>
    ${dl([
      ["Deno", e.deno],
      ["V8", e.v8],
      ["TypeScript", e.typescript],
      ["tfjs", e.tfjs],
      ["backend", html`${e.backend}${e.simd ? " (SIMD)" : ""}`],
      ["OS / arch", html`${e.os} / ${e.arch}`],
      ["kernel", e.kernel],
      ["CPU", e.cpu.model],
      ["CPU flags", e.cpu.flags.join(" ")],
      ["cores", e.cpu.cores],
      ["memory", e.memoryBytes ? `${int(e.memoryBytes / 2 ** 20)} MiB` : "unknown"],
      [
        "engine",
        html`${b.engine.version} @ ${b.engine.commit}${b.engine.dirty ? " (modified)" : ""}`,
      ],
      ["deno.lock SHA-256", b.engine.denoLock],
    ])}
    <h2>Data</h2>
    ${b.datasets.length === 0
      ? html`<p>No dataset (counting run).</p>`
      : b.datasets.map((ds) =>
        html`
          <h3>${ds.name}</h3>
          <p>Source: <span class="wrap">${linkOrText(ds.source)}</span>; samples: train ${int(
            ds.sizes.train,
          )},
          val ${int(ds.sizes.val)}, test ${int(ds.sizes.test)}.</p>
          <details>
            <summary>${int(ds.files.length)} file(s) with SHA-256</summary>
            <div class="scroll">
              <table class="data compact">
                <tbody>${ds.files.map((f) =>
                  html`
                    <tr>
                      <td><code class="wrap">${f.file}</code></td>
                      <td><code class="wrap">${f.sha256}</code></td>
                      <td>${int(f.bytes)}</td>
                    </tr>
                  `
                )}</tbody>
              </table>
            </div>
          </details>
        `
      )}
    <h2>Results</h2>
    <h3>Metrics</h3>
    ${numbers(b.metrics)}
    <h3>Timings (s)</h3>
    ${numbers(b.timings)}
    ${b.curves.length
      ? html`
        <h3>Per-epoch curves</h3>
        <div class="scroll">
          <table class="data compact">
            <thead>
              <tr>
                <th scope="col">epoch</th>
                <th scope="col">lr</th>
                <th scope="col">train loss</th>
                <th scope="col">train acc.</th>
                <th scope="col">val acc.</th>
                <th scope="col">seconds</th>
              </tr>
            </thead>
            <tbody>${b.curves.map((c) =>
              html`
                <tr>
                  <td>${c.epoch + 1}</td>
                  <td>${value(c.lr)}</td>
                  <td>${value(c.trainLoss)}</td>
                  <td>${value(c.trainAccuracy)}</td>
                  <td>${value(c.valAccuracy)}</td>
                  <td>${value(c.seconds)}</td>
                </tr>
              `
            )}</tbody>
          </table>
        </div>
      `
      : html``}
    ${b.weights
      ? html`<p>Trained weights: <code class="wrap">${b.weights.file}</code>, ${
        int(b.weights.bytes)
      } bytes,
SHA-256 <code class="wrap">${b.weights.sha256}</code> (not copied into the site).</p>`
      : html``}
  `;
  return page({ title: b.runId, root: "../", current: "bundles", body, data: d });
}
