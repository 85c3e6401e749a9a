/**
 * onnxruntime (npm `onnxruntime-node`: the native CPU engine, MLAS kernels, shipped inside the
 * package for linux / macOS / windows on x64 and arm64) as the float baseline a deployer on a
 * server would pick. Optional: where the native addon cannot load (another platform, no
 * `--allow-ffi`, `BIBENCH_ONNXRUNTIME=off`) {@link loadOrt} says why in one line and callers skip
 * the baseline and record it as absent; everything else runs as before.
 *
 * Sessions run on the addon's synchronous `run` (what a C++ deployment calls), not the package's
 * promise wrapper, which adds an event-loop turn per call (tens of microseconds, as much as a
 * batch-1 inference): timing the engine, not the JavaScript binding. One session per thread
 * count: intra-op threads 1 or all cores, inter-op 1, sequential execution, all graph
 * optimizations.
 */

/** The npm version this project pins (deno.json); what bundles record when the engine loaded. */
export const ORT_PACKAGE = "onnxruntime-node";

/** A loaded onnxruntime. */
export interface OrtEngine {
  /** onnxruntime version (`env.versions.node`). */
  version: string;
  /** A session of an ONNX model (bytes) with `threads` intra-op threads. */
  session(model: Uint8Array, threads: number): OrtSession;
}

/** One inference session: float32 input in, the single float32 output out. */
export interface OrtSession {
  readonly threads: number;
  /** Runs the model on `x` of shape `dims`; returns the output's values. */
  run(x: Float32Array, dims: number[]): Float32Array;
  dispose(): void;
}

/** What loading gave: the engine, or why there is none. */
export type OrtLoad = { engine: OrtEngine; reason?: undefined } | {
  engine?: undefined;
  reason: string;
};

interface Binding {
  InferenceSession: new () => {
    loadModel(buf: ArrayBuffer, offset: number, len: number, options: unknown): void;
    run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: unknown): Record<
      string,
      { data: Float32Array }
    >;
    readonly inputMetadata: { name: string }[];
    readonly outputMetadata: { name: string }[];
    dispose(): void;
  };
}

let loading: Promise<OrtLoad> | undefined;

function disabledByEnv(): boolean {
  try {
    return Deno.env.get("BIBENCH_ONNXRUNTIME") === "off";
  } catch {
    return false;
  }
}

/** Tries to load onnxruntime now (no caching, no notice): what {@link loadOrt} does once. */
export async function probeOrt(): Promise<OrtLoad> {
  if (disabledByEnv()) return { reason: "BIBENCH_ONNXRUNTIME=off" };
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return { reason: "needs --allow-ffi to load its native addon" };
  }
  try {
    const ort = await import("onnxruntime-node");
    const b = await import("onnxruntime-node/dist/binding.js");
    const { binding, initOrt } = (b.default ?? b) as { binding: Binding; initOrt: () => void };
    initOrt();
    const version = String(ort.env?.versions?.node ?? "unknown");
    const Tensor = ort.Tensor;
    return {
      engine: {
        version,
        session(model: Uint8Array, threads: number): OrtSession {
          const s = new binding.InferenceSession();
          s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            executionMode: "sequential",
            graphOptimizationLevel: "all",
            executionProviders: ["cpu"],
          });
          const input = s.inputMetadata[0].name, output = s.outputMetadata[0].name;
          return {
            threads,
            run(x, dims) {
              const out = s.run(
                { [input]: new Tensor("float32", x, dims) },
                { [output]: null },
                {},
              );
              return out[output].data;
            },
            dispose: () => s.dispose(),
          };
        },
      },
    };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 200);
    return { reason: `could not load (${Deno.build.os}/${Deno.build.arch}): ${msg}` };
  }
}

/**
 * Loads onnxruntime once per process. When it cannot load, prints one notice line (stderr) the
 * first time and returns the reason.
 */
export function loadOrt(): Promise<OrtLoad> {
  return loading ??= probeOrt().then((r) => {
    if (r.reason) {
      console.error(`onnxruntime not used: ${r.reason}; the float-native baseline is skipped`);
    }
    return r;
  });
}

/** Intra-op thread counts timed: one, and every logical core (just one on a 1-core machine). */
export function ortThreadCounts(): number[] {
  const all = navigator.hardwareConcurrency ?? 1;
  return all > 1 ? [1, all] : [1];
}
