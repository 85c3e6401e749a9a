/**
 * "Devices": measure this device in the browser (the infer track's timing protocol in a Web
 * Worker, site/device/, over the published MNIST networks: the files the "Try it" page runs),
 * download the signed device bundle, and the devices measured so far (device bundles in
 * bundles/devices/: table and chart by device class). A site with no published MNIST networks
 * says so instead of offering a measurement.
 */
import { chart, page } from "../lib/layout.ts";
import { html, int, jsonBlock, num } from "../lib/html.ts";
import type { PageData } from "../lib/fragments.ts";
import type { Manifest } from "../browser/models.ts";

export const data = { permalink: "device.html" };

/** The published task whose networks the page times (site/assets/device.js reads it). */
export const DEVICE_TASK = "mnist";

/** Whether `m` publishes what the page times: the task's fp32 network and a binarized one. */
export function canMeasure(m: Manifest | undefined): boolean {
  const mine = m?.models.filter((x) => x.task === DEVICE_TASK) ?? [];
  return mine.some((x) => x.binarizer === "fp32") && mine.some((x) => x.binarizer !== "fp32");
}

export function render(d: PageData & { models?: Manifest }): string {
  const dev = d.devices ?? { rows: [], excluded: [], published: {} };
  const measurable = canMeasure(d.models);
  const binarized =
    d.models?.models.filter((x) => x.task === DEVICE_TASK && x.binarizer !== "fp32") ?? [];
  const batches = [...new Set(dev.rows.flatMap((r) => Object.keys(r.speedups)))]
    .sort((a, b) => Number(a) - Number(b));
  const body = html`
    <h1>Devices</h1>
    <section id="measure" aria-labelledby="measure-title" data-task="${DEVICE_TASK}"
      data-version="${dev.version ?? ""}">
      <h2 id="measure-title">Measure this device</h2>
      ${measurable
        ? html`
          <p>Runs the inference track's timing protocol here, in a Web Worker, on the published MNIST
          networks (the task track's <code>cnn</code>, the files the <a href="try-${DEVICE_TASK}.html">Try
          it</a> page runs, each checked against its published SHA-256 before it runs): the
          ${int(
            binarized.length,
          )} binarized ones (bit-packed WebAssembly kernels) against the fp32 one
          (tfjs-wasm), warm-up, then alternating samples of the two at batch 1 and 64;
          the speed-up is the median of the paired ratios T_fp / T_bi. Nothing leaves the page: the result
          is a bundle file to download, signed with a key made in this browser, holding the browser's
          user agent, logical cores, WebAssembly SIMD / relaxed-SIMD support and device memory where the
          browser exposes it — nothing that identifies a person. Check it with
          <code>deno task verify FILE</code> (it reports a valid device bundle by an untrusted key); put
          it in <code>bundles/devices/</code> and rebuild the site to add it below.</p>
          <p><button type="button" id="device-start">Measure this device</button>
          <span id="device-time">about a minute; the page stays usable</span></p>
          <p><progress id="device-progress" max="1" value="0" hidden></progress>
          <span id="device-status" role="status" aria-live="polite"></span></p>
          <div class="scroll" id="device-results" hidden>
            <table class="data compact">
              <thead>
                <tr>
                  <th scope="col">binarizer</th>
                  <th scope="col">batch</th>
                  <th scope="col">this device</th>
                  <th scope="col">published</th>
                  <th scope="col">T_bi ms</th>
                  <th scope="col">T_fp ms</th>
                </tr>
              </thead>
              <tbody></tbody>
            </table>
          </div>
          <p><a id="device-download" hidden>Download the device bundle</a></p>
        `
        : html`
          <p class="empty" id="device-none">This site publishes no MNIST networks (fp32 and binarized:
          task-track <code>cnn</code> bundles with their weights files beside them), so there is nothing
          to time here.</p>
        `}
      <script type="application/json" id="device-published">${jsonBlock(dev.published)}</script>
    </section>
    <section id="devices" aria-labelledby="devices-title">
      <h2 id="devices-title">Measured devices (${int(dev.rows.length)})</h2>
      ${dev.rows.length === 0
        ? html`<p class="empty">No device bundles yet: measure a device above, put the file in
    <code>bundles/devices/</code> and rebuild the site.</p>`
        : html`
          ${chart(d.charts.devices)}
          <div class="scroll">
            <table class="data sortable compact" id="devices-table">
              <thead>
                <tr>
                  <th scope="col" data-sort="text">class</th>
                  <th scope="col" data-sort="text">browser (user agent)</th>
                  <th scope="col" data-sort="num">cores</th>
                  <th scope="col" data-sort="num">memory GiB</th>
                  <th scope="col" data-sort="text">SIMD / relaxed</th>
                  ${batches.map((b) => html`<th scope="col" data-sort="num">speed-up b${b}</th>`)}
                  <th scope="col" data-sort="text">key</th>
                </tr>
              </thead>
              <tbody>${dev.rows.map((r) =>
                html`
                  <tr>
                    <td>${r.class}</td>
                    <td><code class="wrap">${r.userAgent}</code></td>
                    <td data-v="${r.cores}">${r.cores}</td>
                    <td data-v="${r.memoryGiB ?? ""}">${r.memoryGiB ?? "—"}</td>
                    <td>${r.simd ? "yes" : "no"} / ${r.relaxedSimd ? "yes" : "no"}</td>
                    ${batches.map((b) =>
                      html`<td data-v="${r.speedups[b] ?? ""}">${
                        r.speedups[b] === undefined ? "—" : `×${num(r.speedups[b], 2)}`
                      }</td>`
                    )}
                    <td class="wrap">${r.signer ?? html`untrusted <code>${r.keyId}</code>`}</td>
                  </tr>
                `
              )}</tbody>
            </table>
          </div>
        `}
      ${dev.excluded.length === 0 ? html`` : html`
        <h3>Left out (${int(dev.excluded.length)})</h3>
        <ul>${dev.excluded.map((e) =>
          html`<li><code class="wrap">${e.file}</code>: <span class="wrap">${e.reason}</span></li>`
        )}</ul>
      `}
    </section>
  `;
  return page({
    title: "Devices",
    root: "",
    current: "devices",
    body,
    data: d,
    ...(measurable
      ? {
        wasm: "worker" as const,
        scripts: ["assets/bibench-models.js", "assets/device-worker.js", "assets/device.js"],
      }
      : {}),
  });
}
