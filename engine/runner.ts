/**
 * Runs a grid: one signed result bundle per run (OUT/runs/<id>.json, see engine/bundle/), with
 * the trained weights beside it (OUT/runs/<id>.weights.bin, recorded by SHA-256 in the bundle),
 * both written atomically. Runs whose bundle is intact and holds the same configuration are
 * skipped, so a killed benchmark resumes where it stopped and ends with the same tables.
 */
import canonicalize from "canonicalize";
import { basename, join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { executeRun, type RunEnv, type RunResult, type RunSpec } from "./run.ts";
import { decodeWeights, encodeWeights } from "./weights.ts";
import type { WeightSnapshot } from "./params.ts";
import { sha256Hex } from "./data/digest.ts";
import { CostModel, formatDuration, Progress, workUnits } from "./progress.ts";
import { bundleToResult, makeBundle } from "./bundle/make.ts";
import { collectEngine, collectEnvironment } from "./bundle/fingerprint.ts";
import { checkSignature, signBundle } from "./bundle/sign.ts";
import type { SigningKey } from "./bundle/keys.ts";
import type { Bundle, Environment } from "./bundle/schema.ts";
import { checkIntegrity } from "./bundle/verify.ts";
import { checkShape } from "./bundle/validate.ts";

/** Path of a run's bundle under an output directory. */
export function resultPath(out: string, spec: Pick<RunSpec, "id">): string {
  return join(out, "runs", `${spec.id}.json`);
}

/** Path of a run's trained weights (written before its bundle, which marks the run done). */
export function weightsPath(out: string, spec: Pick<RunSpec, "id">): string {
  return join(out, "runs", `${spec.id}.weights.bin`);
}

function sameSpec(a: RunSpec, b: RunSpec): boolean {
  return canonicalize(a) === canonicalize(b);
}

/**
 * Reads a finished run's bundle if the file exists, is intact (schema, content id) and was made
 * from the same spec; null otherwise (the run is then run again and the file replaced).
 */
export async function readBundle(out: string, spec: RunSpec): Promise<Bundle | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(resultPath(out, spec));
  } catch {
    return null;
  }
  const checked = await checkIntegrity(bytes);
  if (!checked.ok || !sameSpec(checked.value.config, spec)) return null;
  // A signed bundle whose signature no longer matches is not kept, whoever signed it.
  if (checked.value.signature) {
    const sig = await checkSignature(checked.value, { path: "", keys: new Map() });
    if (!sig.ok && !sig.reason.startsWith("valid signature by untrusted")) return null;
  }
  return checked.value;
}

/**
 * A finished run's saved weights and its bundle, if the bundle is intact, was made from the same
 * spec, and the weights file matches the SHA-256 the bundle records (later stages reuse trained
 * networks this way instead of retraining).
 */
export async function readSavedWeights(
  out: string,
  spec: RunSpec,
): Promise<{ weights: WeightSnapshot; bundle: Bundle } | null> {
  const bundle = await readBundle(out, spec);
  const recorded = bundle?.results.weights;
  if (!bundle || !recorded) return null;
  const file = weightsPath(out, spec);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch {
    return null;
  }
  if (bytes.length !== recorded.bytes || (await sha256Hex(bytes)) !== recorded.sha256) return null;
  return { weights: decodeWeights(bytes, file), bundle };
}

/** The finished result of `spec` in `out`, or null (see {@link readBundle}). */
export async function readResult(out: string, spec: RunSpec): Promise<RunResult | null> {
  const b = await readBundle(out, spec);
  return b ? bundleToResult(b) : null;
}

/** What happens during a grid, for callers that report progress their own way (workers). */
export type GridEvent =
  | { type: "start"; id: string }
  | {
    type: "epoch";
    id: string;
    epoch: number;
    epochs: number;
    trainLoss: number;
    valAccuracy: number;
  }
  | { type: "done"; id: string; testAccuracy?: number; seconds: number };

/** Options of `runGrid`. */
export interface GridRunOptions {
  out: string;
  env?: RunEnv;
  quiet?: boolean;
  /** Key that signs every bundle written; null or absent writes unsigned bundles. */
  signer?: SigningKey | null;
  onEvent?: (e: GridEvent) => void;
}

/** Batches a run will train (for progress units). */

let environment: Promise<Environment> | undefined;

/**
 * Turns a finished run into its bundle and writes it with its weights: weights first, then the
 * bundle (whose presence marks the run done).
 */
export async function writeRun(
  out: string,
  output: { result: RunResult; weights?: Parameters<typeof encodeWeights>[0] },
  signer?: SigningKey | null,
): Promise<Bundle> {
  const { result } = output;
  const spec = result.spec;
  const wbytes = output.weights ? encodeWeights(output.weights) : undefined;
  if (wbytes) await writeFileAtomic(weightsPath(out, spec), wbytes);
  environment ??= collectEnvironment(result.backend);
  const env = await environment;
  const unsigned = await makeBundle(result, {
    engine: await collectEngine(),
    environment: {
      ...env,
      backend: result.backend.backend,
      tfjs: result.backend.tfjs,
      simd: result.backend.simd,
    },
    ...(wbytes ? { weights: { file: basename(weightsPath(out, spec)), bytes: wbytes } } : {}),
  });
  // Refuse to write what verify would reject (e.g. a NaN metric, written by JSON as null).
  const shape = checkShape(unsigned);
  if (!shape.ok) {
    throw new Error(`run ${spec.id}: its result does not fit the bundle schema: ${shape.reason}`);
  }
  const bundle: Bundle = signer ? await signBundle(unsigned, signer) : unsigned;
  await writeFileAtomic(resultPath(out, spec), JSON.stringify(bundle, null, 1) + "\n");
  return bundle;
}

/** Runs every spec not already finished in `out`; returns all results in spec order. */
export async function runGrid(specs: RunSpec[], opts: GridRunOptions): Promise<RunResult[]> {
  const results: (RunResult | null)[] = await Promise.all(
    specs.map((s) => readResult(opts.out, s)),
  );
  const todo = specs.filter((_, i) => results[i] === null);
  const progress = new Progress(
    specs.length,
    todo.reduce((a, s) => a + workUnits(s), 0),
    opts.quiet,
  );
  const skipped = specs.length - todo.length;
  if (skipped > 0) {
    progress.log(`resuming: ${skipped}/${specs.length} runs already done in ${opts.out}`);
  }
  let done = skipped;
  const costs = new CostModel();
  let at = 0;
  progress.estimator = () =>
    specs.reduce((a, s, j) => a + (j >= at && results[j] === null ? costs.estimate(s) : 0), 0);
  for (let i = 0; i < specs.length; i++) {
    if (results[i] !== null) continue;
    at = i;
    const started = performance.now();
    const spec = specs[i];
    const label = `[run ${done + 1}/${specs.length}] ${spec.id}`;
    progress.log(`${label} ...`);
    opts.onEvent?.({ type: "start", id: spec.id });
    let counted = 0;
    const output = await executeRun(spec, { ...opts.env, out: opts.out }, {
      onBatch: (b) => {
        progress.advance(1);
        counted++;
        progress.status(
          `${label} epoch ${b.epoch + 1}/${b.epochs} batch ${b.batch + 1}/${b.batches} ` +
            `loss ${b.loss.toFixed(3)} acc ${(100 * b.accuracy).toFixed(1)}%`,
        );
      },
      onEpochEnd: (e) => {
        opts.onEvent?.({
          type: "epoch",
          id: spec.id,
          epoch: e.epoch,
          epochs: spec.train?.epochs ?? 1,
          trainLoss: e.trainLoss,
          valAccuracy: e.valAccuracy,
        });
        if (!progress.tty) {
          progress.log(
            `${label} epoch ${e.epoch + 1}/${spec.train?.epochs} loss ${e.trainLoss.toFixed(3)} ` +
              `train ${(100 * e.trainAccuracy).toFixed(1)}% val ${
                (100 * e.valAccuracy).toFixed(1)
              }% ` +
              `(${e.seconds.toFixed(1)}s) ETA ${formatDuration(progress.eta())}`,
          );
        }
      },
    });
    const r = output.result;
    progress.advance(Math.max(0, workUnits(spec, r.dataset?.sizes.train) - counted));
    await writeRun(opts.out, output, opts.signer);
    // Wall time of the whole run (timings hold other measurements too, e.g. latencies in ms).
    const seconds = (performance.now() - started) / 1000;
    costs.record(spec, seconds);
    results[i] = r;
    done++;
    const acc = r.metrics.testAccuracy;
    opts.onEvent?.({ type: "done", id: spec.id, testAccuracy: acc, seconds });
    progress.log(
      `${label} done` + (acc === undefined ? "" : ` test ${(100 * acc).toFixed(2)}%`) +
        ` (${seconds.toFixed(1)}s)`,
    );
  }
  return results as RunResult[];
}
