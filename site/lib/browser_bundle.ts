/**
 * The site's browser scripts, bundled from TypeScript with esbuild (npm, pinned; `deno bundle`
 * is gone from Deno 2): `bibench-models.js`, the deploy runtime with its kernels and tfjs-wasm
 * for the pages that run the published models (site/browser/models.ts), and `try.js`, the "Try
 * it" page (site/browser/try.ts), which uses the former through its global, and
 * `device-worker.js`, the "Measure this device" worker (site/device/worker.ts), wrapped in the
 * function `bibenchDeviceWorker` whose text the page starts as a Blob worker (a file:// page can
 * start no other). Classic scripts (IIFE), because pages opened from file:// cannot load modules.
 * The engine's `tf.ts` (full tfjs with training gradients) is swapped for site/browser/tf.ts
 * (tfjs-core + the wasm backend) in every entry, and tfjs-wasm's multi-threaded variant, which
 * needs cross-origin isolation, is left out. One esbuild service, in this process.
 * Deterministic: the same sources give the same bytes. License notices of the bundled packages
 * go to `NAME.LEGAL.txt` beside each script.
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

const BROWSER = fileURLToPath(new URL("../browser/", import.meta.url));
const DEVICE = fileURLToPath(new URL("../device/", import.meta.url));
/** The tfjs-core package directory (with a trailing slash). */
const CORE = fileURLToPath(new URL("../", import.meta.resolve("@tensorflow/tfjs-core")));

/** Bundled scripts: output name -> contents. */
export async function bundleBrowserScripts(): Promise<Map<string, Uint8Array>> {
  const threaded = /tfjs-backend-wasm-threaded-simd(\.worker)?\.js$/;
  const plugin: esbuild.Plugin = {
    name: "bibench-browser",
    setup(b) {
      b.onResolve(
        { filter: /\/tf\.ts$/ },
        (a) =>
          a.importer.includes("/engine/") || a.importer.startsWith(DEVICE)
            ? { path: `${BROWSER}tf.ts` }
            : undefined,
      );
      b.onResolve({ filter: threaded }, (a) => ({ path: a.path, namespace: "threaded-stub" }));
      // tfjs-core as its own custom bundles take it: the side effects (engine, flags,
      // platforms) and the exports, without registering the optimizers (training only), so
      // that the ops nothing calls are left out.
      b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({
        path: "tfjs-core",
        namespace: "tfjs-core-lean",
      }));
      b.onLoad({ filter: /.*/, namespace: "tfjs-core-lean" }, () => ({
        contents: `import "${CORE}dist/base_side_effects.js"; export * from "${CORE}dist/base.js";`,
        loader: "js",
        resolveDir: CORE,
      }));
      b.onLoad({ filter: /.*/, namespace: "threaded-stub" }, () => ({
        contents: "export const wasmWorkerContents = ''; export default function () { " +
          "throw new Error('tfjs-wasm threads are not used here'); }",
        loader: "js",
      }));
    },
  };
  const out = new Map<string, Uint8Array>();
  try {
    for (
      const [entry, name, globalName] of [
        [`${BROWSER}models.ts`, "bibench-models.js", "bibenchModels"],
        [`${BROWSER}try.ts`, "try.js", undefined],
        [`${DEVICE}worker.ts`, "device-worker.js", undefined],
      ] as const
    ) {
      const banner = `/*! ${name}: bibench-ts, bundled; license notices: ${name}.LEGAL.txt */`;
      // The worker's code as the body of a function: the page starts a Blob worker from its text.
      const wrap = name === "device-worker.js";
      const r = await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        format: "iife",
        ...(globalName ? { globalName } : {}),
        platform: "browser",
        target: "es2022",
        minify: true,
        // The bundled packages' license notices go to NAME.LEGAL.txt beside the script (36 KB
        // that every visit would otherwise download), and the script says where.
        legalComments: "external",
        outdir: "/bibench-out",
        banner: { js: wrap ? `${banner}\nglobalThis.bibenchDeviceWorker = function () {` : banner },
        ...(wrap ? { footer: { js: "};" } } : {}),
        write: false,
        logLevel: "silent",
        // engine/kernels/wasm.ts names its module file relative to itself; the browser passes
        // the bytes instead, so any URL will do.
        define: { "import.meta.url": '"file:///bibench/"' },
        plugins: [plugin],
      });
      for (const f of r.outputFiles) {
        out.set(f.path.endsWith(".LEGAL.txt") ? `${name}.LEGAL.txt` : name, f.contents);
      }
    }
  } finally {
    await esbuild.stop();
  }
  return out;
}
