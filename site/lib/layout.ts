/**
 * The page frame and shared fragments. Links are relative (`root` is "" for top-level pages and
 * "../" for pages in bundle/), so the site works from any directory and from file://.
 */
import type { ChartData } from "./charts.ts";
import { type Html, html, jsonBlock, trusted, value } from "./html.ts";

/**
 * No inline script, scripts from the site only, no eval: vega-embed runs with vega's
 * expression interpreter (`ast: true`), so 'unsafe-eval' is not needed.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; " +
  "form-action 'none'";

/**
 * The policy of a page that compiles WebAssembly (the published models run on it): the same,
 * plus 'wasm-unsafe-eval', which allows compiling wasm and nothing else (no eval).
 */
export const CSP_WASM = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");

/**
 * A page that compiles WebAssembly in a worker started from a Blob (a file:// page can start no
 * other): 'wasm-unsafe-eval', blob: workers, and blob: fetches (tfjs-wasm reads its module so).
 * Still no 'unsafe-eval' and no inline script.
 */
export const CSP_WASM_WORKER = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " +
  "worker-src blob:; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self' blob:; base-uri 'none'; form-action 'none'";

export interface PageOptions {
  title: string;
  /** "" or "../": the way back to the site root. */
  root: string;
  /** Nav entry to mark current. */
  current?: string;
  body: Html;
  /** "auto": make charts interactive on load; "lazy": on request (keeps the page light). */
  charts?: "auto" | "lazy";
  data: { tracks: { name: string; omName: string }[]; models?: { tasks: { task: string }[] } };
  /**
   * The page compiles WebAssembly: on the page itself ({@link CSP_WASM}) or in a blob: worker
   * ({@link CSP_WASM_WORKER}); only such pages get 'wasm-unsafe-eval'.
   */
  wasm?: "page" | "worker";
  /** More scripts of the site to load (paths from the root), after site.js. */
  scripts?: string[];
}

/** A whole page. */
export function page(o: PageOptions): string {
  const nav: [string, string, string][] = [
    ["overview", "index.html", "Overview"],
    ...o.data.tracks.map((t): [string, string, string] => [
      `track-${t.name}`,
      `track-${t.name}.html`,
      t.omName.replace(/^OM_/, ""),
    ]),
    ["devices", "device.html", "Devices"],
    ...(o.data.models?.tasks.length
      ? [["try", `try-${o.data.models.tasks[0].task}.html`, "Try it"] as [string, string, string]]
      : []),
    ["bundles", "bundles.html", "Bundles"],
    ["submit", "submit.html", "Submit"],
  ];
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="${o.wasm === "worker"
          ? CSP_WASM_WORKER
          : o.wasm === "page"
          ? CSP_WASM
          : CSP}">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="${o.root}assets/favicon.svg">
        <title>${o.title} · bibench-ts leaderboard</title>
        <link rel="stylesheet" href="${o.root}assets/site.css">
        <script src="${o.root}assets/site.js" defer></script>
        ${(o.scripts ?? []).map((s) => html`<script src="${o.root}${s}" defer></script>`)}
      </head>
      <body data-root="${o.root}" data-charts="${o.charts ?? "auto"}">
        <header class="top">
          <a class="brand" href="${o.root}index.html">bibench-ts</a>
          <nav aria-label="Site">
            <ul>${nav.map(([key, href, label]) =>
              html`<li><a href="${o.root}${href}"${
                trusted(key === o.current ? ' aria-current="page"' : "")
              }>${label}</a></li>`
            )}</ul>
          </nav>
        </header>
        <main>
    ${o.body}
        </main>
        <footer>
          <p>Generated from signed result bundles by <code>deno task site</code>. Numbers are the
    benchmark's own track tables; nothing is typed in by hand.</p>
        </footer>
      </body>
    </html>
  `.value;
}

function altCell(v: string | number | null): string {
  return typeof v === "number" ? value(v) : v === null ? "—" : v;
}

/** A chart: the build-time SVG, its spec for vega-embed, and its data table. */
export function chart(c: ChartData | undefined): Html {
  if (!c) return html``;
  return html`
    <figure class="chart" id="chart-${c.id}" data-chart="${c.id}">
      <figcaption id="${c.id}-title"><strong>${c.title}.</strong> ${c.description}</figcaption>
      <div class="chart-static">${trusted(c.svg)}</div>
      <div class="chart-live" hidden></div>
      <script type="application/json" class="chart-spec">${jsonBlock(c.spec)}</script>
      <details class="chart-data">
        <summary>Chart data as a table</summary>
        <div class="scroll">
          <table>
            <thead>
              <tr>${c.alt.columns.map((h) => html`<th scope="col">${h}</th>`)}</tr>
            </thead>
            <tbody>${c.alt.rows.map((r) =>
              html`<tr>${r.map((v) => html`<td>${altCell(v)}</td>`)}</tr>`
            )}</tbody>
          </table>
        </div>
      </details>
    </figure>
  `;
}
