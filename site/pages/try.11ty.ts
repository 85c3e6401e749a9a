/**
 * "Try it", one page per published task: draw (or pick a test image) and the published networks
 * classify it in the browser (site/browser/try.ts), each with its prediction, confidence and
 * latency. Without JavaScript the page still lists the published model files with their digests
 * and the bundles that trained them.
 */
import { page } from "../lib/layout.ts";
import { html, int, pct } from "../lib/html.ts";
import type { PageData } from "../lib/fragments.ts";
import type { Manifest, TaskEntry } from "../browser/models.ts";

export const data = {
  pagination: { data: "models.tasks", size: 1, alias: "task" },
  permalink: (d: { task: TaskEntry }) => `try-${d.task.task}.html`,
};

type TryData = PageData & { models: Manifest; task: TaskEntry };

export function render(d: TryData): string {
  const t = d.task;
  const models = d.models.models.filter((m) => m.task === t.task);
  const noun = t.task === "mnist" ? "a digit" : "a garment";
  const body = html`
    <h1>Try it: ${t.title}</h1>
    <p class="lead">Draw ${noun} or pick a test image: the ${int(models.length)} published networks
    classify it in your browser, the binarized ones on the same WebAssembly bitwise kernels as the
    benchmark's deploy runtime, fp32 on tfjs-wasm. Each network's file is checked against its
    published SHA-256 before it runs; nothing leaves this page.</p>
    <p class="try-tasks">${d.models.tasks.map((o) =>
      o.task === t.task
        ? html`
          <strong>${o.title}</strong>
        `
        : html`
          <a href="try-${o.task}.html">${o.title}</a>
        `
    )}</p>
    <div class="try" data-task="${t.task}">
      <section class="try-input" aria-label="Input">
        <canvas id="pad" width="280" height="280"
          aria-label="Drawing pad: draw with the mouse, a pen or a finger"></canvas>
        <p class="try-buttons"><button type="button" id="clear">Clear</button>
        <span class="hint">${t.task === "mnist"
          ? "One digit, large, centred."
          : "One garment, filling the pad."}</span></p>
      </section>
      <section class="try-samples" aria-label="Test images">
        <h2 class="try-h">Or pick a test image</h2>
        <div id="samples" class="samples"></div>
      </section>
      <section class="try-output" aria-label="Predictions">
        <p id="try-status" class="try-status" role="status">This page needs JavaScript and
        WebAssembly to run the networks.</p>
        <div class="scroll">
          <table id="predictions" class="predictions">
            <thead>
              <tr>
                <th scope="col">network</th>
                <th scope="col">prediction</th>
                <th scope="col">confidence</th>
                <th scope="col">latency</th>
              </tr>
            </thead>
            <tbody>${models.map((m) =>
              html`
                <tr data-binarizer="${m.binarizer}">
                  <th scope="row">${m.binarizer}</th>
                  <td class="pred">—</td>
                  <td class="conf">—</td>
                  <td class="ms">—</td>
                </tr>
              `
            )}</tbody>
          </table>
        </div>
        <p class="legend">Latency: one image (batch 1), this browser, milliseconds. Confidence: the
        softmax probability of the predicted class.</p>
      </section>
    </div>
    <h2>Published models</h2>
    <p>Deployed model files (BBDM v1) exported from the trained weights of one training run each;
    the weights' SHA-256 is the one the run's signed bundle records. The manifest of every published
    file: <a href="models/index.json">models/index.json</a>.</p>
    <div class="scroll">
      <table class="models">
        <thead>
          <tr>
            <th scope="col">network</th>
            <th scope="col">file</th>
            <th scope="col">bytes</th>
            <th scope="col">SHA-256</th>
            <th scope="col">test accuracy</th>
            <th scope="col">trained by</th>
          </tr>
        </thead>
        <tbody>${models.map((m) =>
          html`
            <tr>
              <th scope="row">${m.binarizer}</th>
              <td><a href="${m.file}" download>${m.file.replace(/^models\//, "")}</a></td>
              <td class="num">${int(m.bytes)}</td>
              <td><code class="digest">${m.sha256}</code></td>
              <td class="num">${m.testAccuracy === null ? "—" : pct(m.testAccuracy)}</td>
              <td><a href="${m.bundle.page}">${m.bundle.runId}</a></td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
  return page({
    title: `Try it: ${t.title}`,
    root: "",
    current: "try",
    body,
    data: d,
    wasm: "page",
    scripts: ["assets/bibench-models.js", "assets/try.js"],
  });
}
