/// <reference lib="dom" />
/**
 * The published models in the browser: the deploy runtime of engine/deploy (the same
 * WebAssembly bitwise kernels, the full-precision layers on tfjs-wasm), loaded from the site's
 * own files with every digest checked before anything runs. Bundled by the site build into
 * `assets/bibench-models.js`, a classic script that defines the global `bibenchModels`:
 *
 * ```js
 * const m = await bibenchModels.loadManifest();          // models/index.json
 * const e = m.models[0];                                 // { task, binarizer, file, sha256, ... }
 * const model = await bibenchModels.loadModel(e.file, e.sha256);
 * const { classes, confidence, logits, ms } = model.predict(x, n); // x: n*28*28 floats in [0, 1]
 * ```
 *
 * A file whose SHA-256 is not the published one is refused with a {@link DigestError}.
 */
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "./tf.ts";
import { DeployRuntime } from "../../engine/deploy/runtime.ts";
import type { DeployHeader } from "../../engine/deploy/format.ts";
import { BinaryKernels } from "../../engine/kernels/wasm.ts";
import { loadBytes } from "./files.ts";
import { sha256Hex } from "./sha256.ts";

/** A file of the manifest: site-relative path, SHA-256, size. */
export interface PublishedFile {
  file: string;
  sha256: string;
  bytes: number;
}

/** One published network (see site/lib/models.ts, which writes the manifest). */
export interface ModelEntry extends PublishedFile {
  task: string;
  binarizer: string;
  /** The bundle of the training run whose weights it was exported from. */
  bundle: { id: string; runId: string; page: string; weightsSha256: string };
  /** The run's recorded test accuracy. */
  testAccuracy: number | null;
}

/** One task: its classes and a few test images (u8 pixels, row-major, `n` x 28 x 28). */
export interface TaskEntry {
  task: string;
  title: string;
  inputShape: number[];
  classNames: string[];
  samples: PublishedFile & { n: number; labels: number[] };
}

/** `models/index.json`. */
export interface Manifest {
  format: "bibench-models";
  version: 1;
  runtime: { tfjsWasm: PublishedFile; kernels: PublishedFile };
  tasks: TaskEntry[];
  models: ModelEntry[];
}

/** A file whose bytes do not have the published SHA-256: it is not run. */
export class DigestError extends Error {
  constructor(readonly file: string, readonly expected: string, readonly actual: string) {
    super(
      `${file} refused: its SHA-256 is ${actual.slice(0, 16)}…, not the published ` +
        `${expected.slice(0, 16)}…`,
    );
    this.name = "DigestError";
  }
}

/** The way from this page to the site root (`<body data-root>`). */
export function pageRoot(): string {
  return document.body?.getAttribute("data-root") ?? "";
}

/** The bytes of a site file, refused unless their SHA-256 is `sha256`. */
export async function loadChecked(
  file: string,
  sha256: string,
  root = pageRoot(),
): Promise<Uint8Array> {
  const bytes = await loadBytes(root, file);
  const actual = sha256Hex(bytes);
  if (actual !== sha256.toLowerCase()) throw new DigestError(file, sha256, actual);
  return bytes;
}

/** Reads `models/index.json`. */
export async function loadManifest(root = pageRoot()): Promise<Manifest> {
  const bytes = await loadBytes(root, "models/index.json");
  const m = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  if (m.format !== "bibench-models" || m.version !== 1) {
    throw new Error("models/index.json: not a version 1 model manifest");
  }
  return m;
}

let ready: Promise<BinaryKernels> | undefined;

/** The tfjs wasm module's bytes, handed to tfjs instead of a fetch (file:// cannot fetch). */
const TFJS_WASM = "bibench:tfjs-backend-wasm-simd.wasm";

async function start(root: string): Promise<BinaryKernels> {
  const m = await loadManifest(root);
  const [tfWasm, kernelWasm] = await Promise.all([
    loadChecked(m.runtime.tfjsWasm.file, m.runtime.tfjsWasm.sha256, root),
    loadChecked(m.runtime.kernels.file, m.runtime.kernels.sha256, root),
  ]);
  const env = tf.env();
  env.set("PROD", true);
  // One thread: workers would need cross-origin isolation, which file:// and plain hosts lack.
  env.set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  if (!(await env.getAsync("WASM_HAS_SIMD_SUPPORT"))) {
    throw new Error("this browser lacks WebAssembly SIMD, which the kernels need");
  }
  const platform = env.platform as { fetch: (path: string, init?: RequestInit) => unknown };
  const fetchOriginal = platform.fetch.bind(platform);
  platform.fetch = (path: string, init?: RequestInit) =>
    path === TFJS_WASM
      ? Promise.resolve(new Response(tfWasm as BodyInit, { status: 200 }))
      : fetchOriginal(path, init);
  setWasmPaths({
    "tfjs-backend-wasm.wasm": TFJS_WASM,
    "tfjs-backend-wasm-simd.wasm": TFJS_WASM,
    "tfjs-backend-wasm-threaded-simd.wasm": TFJS_WASM,
  }, true);
  if (!(await tf.setBackend("wasm"))) throw new Error("could not start tfjs-wasm");
  await tf.ready();
  return await BinaryKernels.load(kernelWasm);
}

/** Starts tfjs-wasm and the kernels once (both checked against the manifest's digests). */
export function init(root = pageRoot()): Promise<BinaryKernels> {
  ready ??= start(root);
  ready.catch(() => (ready = undefined));
  return ready;
}

/** What {@link LoadedModel.predict} returns. */
export interface Prediction {
  /** Logits, `n` x classes. */
  logits: Float32Array;
  /** Arg-max class per sample. */
  classes: number[];
  /** Softmax probability of that class per sample. */
  confidence: number[];
  /** Wall time of the run, milliseconds. */
  ms: number;
}

/** A published network, loaded and checked, ready to classify batches. */
export class LoadedModel {
  constructor(readonly file: string, readonly runtime: DeployRuntime) {}

  /** The model file's header (binarizer, input shape, classes, ops). */
  get header(): DeployHeader {
    return this.runtime.header;
  }

  /** Classifies `n` samples (NHWC floats in [0, 1], the training data's scale). */
  predict(x: Float32Array, n = 1): Prediction {
    const t0 = performance.now();
    const logits = this.runtime.run(x, n);
    const ms = performance.now() - t0;
    const k = this.header.numClasses;
    const classes: number[] = [], confidence: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      let best = 0;
      for (let j = 1; j < k; j++) if (row[j] > row[best]) best = j;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(row[j] - row[best]);
      classes.push(best);
      confidence.push(1 / sum);
    }
    return { logits: logits.slice(), classes, confidence, ms };
  }

  /** Frees its tfjs tensors. */
  dispose(): void {
    this.runtime.dispose();
  }
}

/**
 * Loads a model file (site-relative path) after checking its SHA-256; starts the runtime on first
 * use. Throws {@link DigestError} for a file that is not the published one.
 */
export async function loadModel(
  file: string,
  sha256: string,
  root = pageRoot(),
): Promise<LoadedModel> {
  const kernels = await init(root);
  const bytes = await loadChecked(file, sha256, root);
  return new LoadedModel(file, await DeployRuntime.load(bytes, { kernels }));
}
