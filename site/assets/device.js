// bibench-ts "Measure this device" (device.html): starts the measurement worker from the text of
// the function in device-worker.js (a Blob worker: a page opened from file:// can start no
// other), sends it the model files and WebAssembly of device-data.js, shows progress and the
// speed-ups beside the published ones, and offers the signed device bundle for download.
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

  function bytesOf(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }

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

  start.addEventListener("click", function () {
    const data = globalThis.bibenchDeviceData;
    const source = globalThis.bibenchDeviceWorker;
    if (!data || !source) {
      status.textContent = "The measurement files did not load (assets/device-*.js).";
      return;
    }
    const o = options();
    const files = data.files.filter(function (f) {
      return o.binarizers.length === 0 || o.binarizers.indexOf(f.binarizer) >= 0;
    });
    start.disabled = true;
    download.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Starting…";
    const url = URL.createObjectURL(
      new Blob(["(" + source.toString() + ")()"], { type: "text/javascript" }),
    );
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    const finish = function (text) {
      worker.terminate();
      start.disabled = false;
      status.textContent = text;
    };
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
    const models = files.map(function (f) {
      return { binarizer: f.binarizer, bytes: bytesOf(f.base64) };
    });
    const fp32 = { binarizer: "fp32", bytes: bytesOf(data.fp32.base64) };
    const wasm = { kernels: bytesOf(data.wasm.kernels), tfjsSimd: bytesOf(data.wasm.tfjsSimd) };
    worker.postMessage(
      {
        type: "start",
        name: data.model,
        fp32: fp32,
        files: models,
        wasm: wasm,
        options: { batches: o.batches, budgetMs: o.budgetMs, minSamples: o.minSamples },
        site: data.site,
      },
      [fp32.bytes, wasm.kernels, wasm.tfjsSimd].concat(models.map(function (m) {
        return m.bytes;
      })),
    );
  });
})();
