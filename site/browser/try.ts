/// <reference lib="dom" />
/**
 * The "Try it" page (site/pages/try.11ty.ts): a drawing pad (pointer events: mouse, pen and
 * touch) and the task's test images; every published network of the task classifies the input
 * live, with prediction, confidence and latency. Uses `bibenchModels` (assets/bibench-models.js,
 * site/browser/models.ts) through its global, so the runtime is loaded once and shared with other
 * pages. A model file whose digest does not match is refused and the row says so.
 */
import type * as Models from "./models.ts";

const api = (globalThis as unknown as { bibenchModels: typeof Models }).bibenchModels;
const SIDE = 28;

interface Row {
  entry: Models.ModelEntry;
  model?: Models.LoadedModel;
  tr: HTMLTableRowElement;
}

function cell(tr: HTMLTableRowElement, cls: string): HTMLElement {
  return tr.querySelector(`.${cls}`) as HTMLElement;
}

/** The pad's ink as one 28x28 sample in [0, 1], placed the way the task's images are. */
function padSample(pad: HTMLCanvasElement, task: string): Float32Array | null {
  const ctx = pad.getContext("2d", { willReadFrequently: true })!;
  const { width: w, height: h } = pad;
  const img = ctx.getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (img[(y * w + x) * 4] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  // MNIST: the ink's box scaled into 20x20, then centred on its centre of mass (how MNIST was
  // made); Fashion-MNIST: the garment fills the 28x28 frame.
  const box = task === "mnist" ? 20 : SIDE;
  const s = box / Math.max(bw, bh);
  const small = document.createElement("canvas");
  small.width = small.height = SIDE;
  const sc = small.getContext("2d", { willReadFrequently: true })!;
  sc.fillStyle = "#000";
  sc.fillRect(0, 0, SIDE, SIDE);
  sc.imageSmoothingEnabled = true;
  sc.imageSmoothingQuality = "high";
  const dw = bw * s, dh = bh * s;
  sc.drawImage(pad, x0, y0, bw, bh, (SIDE - dw) / 2, (SIDE - dh) / 2, dw, dh);
  let px = sc.getImageData(0, 0, SIDE, SIDE).data;
  if (task === "mnist") {
    let m = 0, mx = 0, my = 0;
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = px[i * 4];
      m += v;
      mx += v * (i % SIDE);
      my += v * Math.floor(i / SIDE);
    }
    if (m > 0) {
      const dx = Math.round(SIDE / 2 - 0.5 - mx / m), dy = Math.round(SIDE / 2 - 0.5 - my / m);
      sc.fillRect(0, 0, SIDE, SIDE);
      sc.drawImage(pad, x0, y0, bw, bh, (SIDE - dw) / 2 + dx, (SIDE - dh) / 2 + dy, dw, dh);
      px = sc.getImageData(0, 0, SIDE, SIDE).data;
    }
  }
  const x = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < x.length; i++) x[i] = px[i * 4] / 255;
  return x;
}

/** Shows a 28x28 sample on a canvas (scaled by CSS). */
function paint(c: HTMLCanvasElement, x: Float32Array | Uint8Array, scale = 1): void {
  const ctx = c.getContext("2d")!;
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = x instanceof Uint8Array ? x[i] : Math.round(x[i] * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  if (scale === 1) {
    ctx.putImageData(img, 0, 0);
    return;
  }
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = SIDE;
  tmp.getContext("2d")!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, SIDE * scale, SIDE * scale);
}

async function main(): Promise<void> {
  const root = document.querySelector<HTMLElement>(".try");
  const status = document.getElementById("try-status");
  if (!root || !status || !api) return;
  const task = root.getAttribute("data-task")!;
  const pad = document.getElementById("pad") as HTMLCanvasElement;
  const say = (text: string, alert = false) => {
    status.textContent = text;
    status.classList.toggle("try-error", alert);
    status.setAttribute("role", alert ? "alert" : "status");
  };
  say("Loading the networks…");
  let manifest: Models.Manifest;
  try {
    manifest = await api.loadManifest();
    await api.init();
  } catch (e) {
    say(`Cannot run the networks here: ${(e as Error).message}`, true);
    return;
  }
  const info = manifest.tasks.find((t) => t.task === task)!;
  const rows: Row[] = manifest.models.filter((m) => m.task === task).map((entry) => ({
    entry,
    tr: document.querySelector(`#predictions tr[data-binarizer="${entry.binarizer}"]`)!,
  }));
  const refused: string[] = [];
  await Promise.all(rows.map(async (r) => {
    try {
      r.model = await api.loadModel(r.entry.file, r.entry.sha256);
      // Warm-up (first-run allocations), so the latencies shown are the steady ones.
      r.model.predict(new Float32Array(SIDE * SIDE), 1);
    } catch (e) {
      cell(r.tr, "pred").textContent = e instanceof api.DigestError
        ? "refused: SHA-256 mismatch"
        : "could not load";
      r.tr.classList.add("refused");
      refused.push(`${r.entry.binarizer}: ${(e as Error).message}`);
    }
  }));
  const ready = rows.filter((r) => r.model).length;
  if (refused.length) say(`Not run: ${refused.join("; ")}`, true);
  else say(`${ready} networks ready. Draw, or pick a test image.`);
  root.classList.add("is-ready");

  const classify = (x: Float32Array) => {
    for (const r of rows) {
      if (!r.model) continue;
      const p = r.model.predict(x, 1);
      cell(r.tr, "pred").textContent = info.classNames[p.classes[0]];
      cell(r.tr, "conf").textContent = `${(p.confidence[0] * 100).toFixed(1)}%`;
      cell(r.tr, "ms").textContent = `${p.ms.toFixed(2)} ms`;
      r.tr.setAttribute("data-class", String(p.classes[0]));
    }
    root.setAttribute("data-classified", String(Number(root.getAttribute("data-classified")) + 1));
  };

  // The drawing pad.
  const ctx = pad.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let last: [number, number] | null = null, pending = false;
  const at = (e: PointerEvent): [number, number] => {
    const b = pad.getBoundingClientRect();
    return [
      (e.clientX - b.left) * pad.width / b.width,
      (e.clientY - b.top) * pad.height / b.height,
    ];
  };
  const live = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const x = padSample(pad, task);
      if (x) classify(x);
    });
  };
  pad.addEventListener("pointerdown", (e) => {
    pad.setPointerCapture(e.pointerId);
    last = at(e);
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineWidth = task === "mnist" ? 22 : 26;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    live();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = at(e);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
    live();
  });
  const end = () => {
    if (last) live();
    last = null;
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  document.getElementById("clear")!.addEventListener("click", () => {
    clear();
    for (const r of rows) for (const c of ["pred", "conf", "ms"]) cell(r.tr, c).textContent = "—";
  });

  // The test images: classified exactly as stored (no drawing pipeline).
  try {
    const s = info.samples;
    const px = await api.loadChecked(s.file, s.sha256);
    const box = document.getElementById("samples")!;
    for (let k = 0; k < s.n; k++) {
      const u8 = px.subarray(k * SIDE * SIDE, (k + 1) * SIDE * SIDE);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "sample";
      b.title = `test image ${k + 1}: ${info.classNames[s.labels[k]]}`;
      b.setAttribute("aria-label", b.title);
      const c = document.createElement("canvas");
      c.width = c.height = SIDE;
      paint(c, u8);
      b.appendChild(c);
      b.addEventListener("click", () => {
        const x = Float32Array.from(u8, (v) => v / 255);
        paint(pad, x, pad.width / SIDE);
        classify(x);
      });
      box.appendChild(b);
    }
  } catch (e) {
    say(`Test images unavailable: ${(e as Error).message}`, true);
  }
}

main();
