// bibench-ts "Measure this device" (device.html): reads the published models of the page's task
// (models/index.json: fp32 and the binarized networks) and the WebAssembly they run on the way
// the "Try it" pages do (bibenchModels of bibench-models.js: fetched, or from their script
// copies under file://, each refused unless its SHA-256 is the manifest's), starts the
// measurement worker from the text of the function in device-worker.js (a Blob worker: a page
// opened from file:// can start no other) and hands it the bytes (a worker cannot read file://),
// shows progress and the speed-ups beside the published ones, and offers the signed device
// bundle for download.
// Query parameters (for quick checks): budget=MS per binarizer and batch, batches=1,64,
// binarizers=bnn,xnor, samples=N (at least N sample pairs).
(function () {
  "use strict";
  const start = document.getElementById("device-start");
  if (!start) return;
  const bar = document.getElementById("device-progress");
  const status = document.getElementById("device-status");
  const results = document.getElementById("device-results");
  const download = document.getElementById("device-download");
  const published = JSON.parse(document.getElementById("device-published").textContent || "{}");

  function options() {
    const q = new URLSearchParams(location.search);
    const ints = (v) =>
      (v || "").split(",").map(Number).filter((x) => [1, 2, 4, 8, 16, 32, 64].indexOf(x) >= 0);
    const batches = ints(q.get("batches"));
    const budget = Number(q.get("budget"));
    const samples = Number(q.get("samples"));
    return {
      batches: batches.length ? batches : [1, 64],
      budgetMs: budget > 0 && budget <= 600000 ? budget : 1000,
      minSamples: Number.isInteger(samples) && samples > 0 ? samples : 7,
      binarizers: (q.get("binarizers") || "").split(",").filter(Boolean),
    };
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function show(bundle) {
    const body = results.querySelector("tbody");
    body.textContent = "";
    bundle.results.forEach(function (r) {
      const tr = document.createElement("tr");
      const pub = published[r.binarizer] && published[r.binarizer][String(r.batch)];
      cell(tr, r.binarizer);
      cell(tr, String(r.batch));
      cell(tr, "×" + r.speedup.toFixed(2));
      cell(tr, pub ? "×" + pub.toFixed(2) : "—");
      cell(tr, r.latencyMs.toFixed(3));
      cell(tr, r.latencyFpMs.toFixed(3));
      body.appendChild(tr);
    });
    results.hidden = false;
  }

  const section = document.getElementById("measure");
  const task = section.getAttribute("data-task");
  const version = section.getAttribute("data-version") || "unknown";

  // The published files the worker needs, digest-checked: [fp32, binarized...] and the wasm.
  async function publishedFiles(o) {
    const lib = globalThis.bibenchModels;
    const m = await lib.loadManifest();
    const mine = m.models.filter(function (e) {
      return e.task === task;
    });
    const fp32 = mine.find(function (e) {
      return e.binarizer === "fp32";
    });
    const files = mine.filter(function (e) {
      return e.binarizer !== "fp32" &&
        (o.binarizers.length === 0 || o.binarizers.indexOf(e.binarizer) >= 0);
    });
    if (!fp32 || files.length === 0) {
      throw new Error("models/index.json lists no fp32 and binarized " + task + " networks");
    }
    // A buffer of exactly the file's bytes, to transfer to the worker.
    const own = function (u8) {
      return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength
        ? u8.buffer
        : u8.slice().buffer;
    };
    const load = async function (e) {
      status.textContent = "Reading " + e.file + "…";
      return { binarizer: e.binarizer, bytes: own(await lib.loadChecked(e.file, e.sha256)) };
    };
    const fp = await load(fp32);
    const models = [];
    for (const f of files) models.push(await load(f));
    const kernels = await lib.loadChecked(m.runtime.kernels.file, m.runtime.kernels.sha256);
    const tfjsSimd = await lib.loadChecked(m.runtime.tfjsWasm.file, m.runtime.tfjsWasm.sha256);
    return { fp32: fp, files: models, wasm: { kernels: own(kernels), tfjsSimd: own(tfjsSimd) } };
  }

  start.addEventListener("click", function () {
    const source = globalThis.bibenchDeviceWorker;
    if (!globalThis.bibenchModels || !source) {
      status.textContent =
        "The measurement files did not load (assets/bibench-models.js, device-worker.js).";
      return;
    }
    const o = options();
    start.disabled = true;
    download.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Starting…";
    let worker = null;
    const finish = function (text) {
      if (worker) worker.terminate();
      start.disabled = false;
      status.textContent = text;
    };
    publishedFiles(o).then(function (p) {
      const url = URL.createObjectURL(
        new Blob(["(" + source.toString() + ")()"], { type: "text/javascript" }),
      );
      worker = new Worker(url);
      URL.revokeObjectURL(url);
      worker.onmessage = function (e) {
        const m = e.data;
        if (m.type === "progress") {
          bar.max = m.total;
          bar.value = m.done;
          status.textContent = m.done + " / " + m.total + ": " + m.label;
        } else if (m.type === "done") {
          show(m.bundle);
          const blob = new Blob([m.text], { type: "application/json" });
          download.href = URL.createObjectURL(blob);
          download.download = "bibench-device-" + m.bundle.id.slice(7, 23) + ".json";
          download.hidden = false;
          bar.value = bar.max;
          finish(
            "Done in " + m.bundle.seconds.toFixed(1) + " s; signed by " +
              m.bundle.signature.keyId + " (a key made in this browser).",
          );
        } else if (m.type === "error") {
          finish("The measurement failed: " + m.message);
        }
      };
      worker.onerror = function (e) {
        finish("The measurement failed: " + (e.message || "worker error"));
      };
      worker.postMessage(
        {
          type: "start",
          name: "cnn",
          fp32: p.fp32,
          files: p.files,
          wasm: p.wasm,
          options: { batches: o.batches, budgetMs: o.budgetMs, minSamples: o.minSamples },
          site: { version: version },
        },
        [p.fp32.bytes, p.wasm.kernels, p.wasm.tfjsSimd].concat(p.files.map(function (m) {
          return m.bytes;
        })),
      );
    }).catch(function (err) {
      finish("The measurement failed: " + String((err && err.message) || err));
    });
  });
})();
