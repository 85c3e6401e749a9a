/// <reference lib="webworker" />
/**
 * The "Measure this device" worker (bundled for the browser by site/lib/browser_bundle.ts):
 * loads the published model files the page sends it (read and digest-checked there; runner.ts),
 * runs the timing protocol (measure.ts) off the page's thread, reports progress, and answers
 * with the signed device bundle (key.ts).
 *
 * Messages in: `{ type: "start", models, wasm, options, site }`; out: `{ type: "progress", done,
 * total, label }`, `{ type: "done", text, bundle }` (text: the bundle file), `{ type: "error",
 * message }`.
 */
import { deviceInfo } from "./fingerprint.ts";
import { type BrowserWasm, loadRunner, tfjsVersion } from "./runner.ts";
import { type LoadedModel, measure, type MeasureOptions } from "./measure.ts";
import { browserKey, signDeviceBundle } from "./key.ts";
// Plain-TypeScript SHA-256, as the page's digest checks (WebCrypto needs a secure context).
import { sha256Hex } from "../browser/sha256.ts";

/** One model file as the page sends it. */
interface ModelMessage {
  binarizer: string;
  bytes: ArrayBuffer;
}

/** The start message. */
interface Start {
  type: "start";
  name: string;
  fp32: ModelMessage;
  files: ModelMessage[];
  wasm: { kernels: ArrayBuffer; tfjsSimd: ArrayBuffer };
  options: MeasureOptions;
  site: { version: string };
}

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function load(m: ModelMessage, wasm: BrowserWasm): Promise<LoadedModel> {
  const bytes = new Uint8Array(m.bytes);
  return {
    binarizer: m.binarizer,
    sha256: sha256Hex(bytes),
    bytes: bytes.length,
    runner: await loadRunner(bytes, wasm),
  };
}

async function start(msg: Start): Promise<void> {
  const device = deviceInfo(scope.navigator as WorkerNavigator & { deviceMemory?: number });
  if (!device.simd) throw new Error("this browser has no WebAssembly SIMD: the kernels need it");
  const wasm: BrowserWasm = {
    kernels: new Uint8Array(msg.wasm.kernels),
    tfjsSimd: new Uint8Array(msg.wasm.tfjsSimd),
  };
  // The key first: a browser without WebCrypto Ed25519 is told before, not after, the wait.
  const key = await browserKey();
  scope.postMessage({ type: "progress", done: 0, total: 1, label: "loading the models" });
  const fp32 = await load(msg.fp32, wasm);
  const files: LoadedModel[] = [];
  for (const f of msg.files) files.push(await load(f, wasm));
  const body = measure(
    { name: msg.name, fp32, files },
    msg.options,
    { site: { version: msg.site.version, tfjs: tfjsVersion() }, device },
    (done, total, label) => scope.postMessage({ type: "progress", done, total, label }),
  );
  const bundle = await signDeviceBundle(body, key);
  for (const m of [fp32, ...files]) m.runner.dispose();
  scope.postMessage({ type: "done", text: JSON.stringify(bundle, null, 1) + "\n", bundle });
}

scope.onmessage = (e: MessageEvent<Start>) => {
  if (e.data?.type !== "start") return;
  start(e.data).catch((err) =>
    scope.postMessage({ type: "error", message: String((err as Error)?.message ?? err) })
  );
};
