/**
 * The build half of "Measure this device": the model files the page times and the worker that
 * times them, written into the site's assets.
 *
 * - Models: the task track's `cnn` (MNIST shape, 28x28x1 -> 10) built from a fixed seed and
 *   exported to deployed-model files (engine/deploy/export.ts), fp32 and every registered
 *   binarizer that deploys. Latency does not depend on the weight values (the infer track times
 *   its fp32 side untrained for the same reason), so the page needs no trained network. The
 *   published model files can replace them: the worker takes any model bytes (runner.ts).
 * - Worker: site/device/worker.ts bundled for the browser by `deno bundle` (tfjs, the deploy
 *   runtime, the kernels' loader), wrapped in a function the page turns into a Blob worker — a
 *   file:// page can neither fetch nor start a worker from a file.
 * - WebAssembly (the kernels, tfjs-wasm's SIMD build) and the models travel as base64 in
 *   `device-data.js`, for the same reason.
 *
 * Deterministic: the same sources give the same bytes.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildModel } from "../../engine/nn/model.ts";
import { exportModel } from "../../engine/deploy/export.ts";
import { finalState } from "../../engine/nn/train.ts";
import { initBackend, wasmDir } from "../../engine/tf.ts";
import { binarizerNames } from "../../engine/binarizers/mod.ts";
import { toBase64 } from "../../engine/bundle/canonical.ts";
import { sha256Hex } from "../../engine/data/digest.ts";
import { wasmUrl } from "../../engine/kernels/wasm.ts";
import { tf } from "../../engine/tf.ts";

/** The network the page times, and its input. */
export const DEVICE_MODEL = { name: "cnn", inputShape: [28, 28, 1], numClasses: 10 } as const;

/** Epochs whose final schedule state the exported binarized models use (the full profile's). */
const EPOCHS = 3;

/** One exported model file. */
export interface DeviceModelFile {
  binarizer: string;
  sha256: string;
  bytes: number;
  data: Uint8Array;
}

/** fp32 and every deployable registered binarizer, exported from the seeded `cnn`. */
export async function deviceModels(): Promise<{ fp32: DeviceModelFile; files: DeviceModelFile[] }> {
  await initBackend("cpu");
  const out: DeviceModelFile[] = [];
  for (const b of ["fp32", ...binarizerNames().filter((n) => n !== "fp32")]) {
    let data: Uint8Array;
    const model = buildModel(DEVICE_MODEL.name, {
      inputShape: [...DEVICE_MODEL.inputShape],
      numClasses: DEVICE_MODEL.numClasses,
      binarizer: b,
      seed: 0,
    });
    try {
      data = exportModel(model, { state: finalState(b, EPOCHS) });
    } catch {
      continue; // a binarizer without a deployable form (e.g. a test's toy) is not timed
    } finally {
      model.store.dispose();
    }
    out.push({ binarizer: b, sha256: await sha256Hex(data), bytes: data.length, data });
  }
  return { fp32: out[0], files: out.slice(1) };
}

let workerText: Promise<string> | undefined;

/** The worker bundled for the browser (once per process: it depends only on the sources). */
function bundleWorker(): Promise<string> {
  workerText ??= (async () => {
    const entry = fileURLToPath(new URL("./worker.ts", import.meta.url));
    const tmp = await Deno.makeTempDir({ prefix: "bibench-device-" });
    try {
      const outFile = join(tmp, "worker.js");
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--quiet",
          "--platform",
          "browser",
          "--format",
          "iife",
          "--minify",
          "-o",
          outFile,
          entry,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!r.success) {
        throw new Error(
          `deno bundle of the device worker failed: ${new TextDecoder().decode(r.stderr)}`,
        );
      }
      return await Deno.readTextFile(outFile);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  })();
  return workerText;
}

/** Writes `device-worker.js` and `device-data.js` into `assetsDir`. */
export async function writeDeviceAssets(
  assetsDir: string,
  site: { version: string },
): Promise<{ models: number }> {
  const [{ fp32, files }, worker] = await Promise.all([deviceModels(), bundleWorker()]);
  await Deno.writeTextFile(
    join(assetsDir, "device-worker.js"),
    '// The "Measure this device" worker (site/device/worker.ts bundled by `deno task site`;\n' +
      "// tfjs and vega licences: see the packages). The page starts it from this function's text.\n" +
      "globalThis.bibenchDeviceWorker = function () {\n" + worker + "\n};\n",
  );
  const tfjsSimd = await Deno.readFile(new URL("tfjs-backend-wasm-simd.wasm", wasmDir()));
  const kernels = await Deno.readFile(wasmUrl());
  const file = (m: DeviceModelFile) => ({
    binarizer: m.binarizer,
    sha256: m.sha256,
    bytes: m.bytes,
    base64: toBase64(m.data),
  });
  const data = {
    site,
    tfjs: tf.version.tfjs,
    model: DEVICE_MODEL.name,
    inputShape: DEVICE_MODEL.inputShape,
    fp32: file(fp32),
    files: files.map(file),
    wasm: { kernels: toBase64(kernels), tfjsSimd: toBase64(tfjsSimd) },
  };
  await Deno.writeTextFile(
    join(assetsDir, "device-data.js"),
    '// Model files and WebAssembly of "Measure this device" (generated by `deno task site`).\n' +
      `globalThis.bibenchDeviceData = ${JSON.stringify(data)};\n`,
  );
  return { models: files.length + 1 };
}
