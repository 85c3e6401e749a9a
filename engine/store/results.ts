/**
 * The result store: an output directory of finished runs, one signed result bundle per run
 * (OUT/runs/<id>.json, see engine/bundle/) with its trained weights beside it
 * (OUT/runs/<id>.weights.bin, recorded by SHA-256 in the bundle), both written atomically. It owns
 * every read and write of them, run -> bundle ({@link runBundle}, also what `verify --reproduce`
 * compares with) and resume ({@link finishedRuns}): the single-process runner, the worker pool,
 * reproduce and the tracks that reuse trained networks all go through it.
 */
import canonicalize from "canonicalize";
import { basename, join } from "node:path";
import { writeFileAtomic } from "../atomic.ts";
import type { RunOutput, RunResult, RunSpec } from "../run.ts";
import { decodeWeights, encodeWeights } from "../nn/weights.ts";
import type { WeightSnapshot } from "../nn/params.ts";
import { sha256Hex } from "../data/digest.ts";
import { bundleToResult, makeBundle } from "../bundle/make.ts";
import { collectEngine, collectEnvironment } from "../bundle/fingerprint.ts";
import { bundleBytes, checkSignature, signBundle } from "../bundle/sign.ts";
import type { SigningKey } from "../bundle/keys.ts";
import type { Bundle, Environment } from "../bundle/schema.ts";
import { checkIntegrity } from "../bundle/verify.ts";
import { checkShape } from "../bundle/validate.ts";

/** Path of a run's bundle under an output directory. */
export function resultPath(out: string, spec: Pick<RunSpec, "id">): string {
  return join(out, "runs", `${spec.id}.json`);
}

/**
 * The output directory a bundle file lies in when the store wrote it (`resultPath(out, spec)` is
 * `path`), or undefined.
 */
export function storeRoot(path: string, spec: Pick<RunSpec, "id">): string | undefined {
  const tail = join("runs", `${spec.id}.json`);
  return path.endsWith(tail) ? (path.slice(0, path.length - tail.length) || ".") : undefined;
}

/** Path of a run's trained weights (written before its bundle, which marks the run done). */
export function weightsPath(out: string, spec: Pick<RunSpec, "id">): string {
  return join(out, "runs", `${spec.id}.weights.bin`);
}

/** Specs equal as JSON, `init` absent (older bundles) counting as "scratch" (engine/init.ts). */
function sameSpec(a: RunSpec, b: RunSpec): boolean {
  const norm = (s: RunSpec) => canonicalize({ ...s, init: s.init ?? "scratch" });
  return norm(a) === norm(b);
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

let environment: Promise<Environment> | undefined;

/**
 * A finished run as an unsigned bundle, and its encoded weights: `weightsFile` is the name the
 * bundle records for them. The one run -> bundle of the project (the runner writes it, reproduce
 * compares with it).
 */
export async function runBundle(
  output: RunOutput,
  weightsFile: string,
): Promise<{ bundle: Bundle; weights?: Uint8Array }> {
  const { result } = output;
  const wbytes = output.weights ? encodeWeights(output.weights) : undefined;
  environment ??= collectEnvironment(result.backend);
  const env = await environment;
  const bundle = await makeBundle(result, {
    engine: await collectEngine(),
    environment: {
      ...env,
      backend: result.backend.backend,
      tfjs: result.backend.tfjs,
      simd: result.backend.simd,
    },
    ...(wbytes ? { weights: { file: weightsFile, bytes: wbytes } } : {}),
  });
  return { bundle: bundle as Bundle, ...(wbytes ? { weights: wbytes } : {}) };
}

/**
 * Turns a finished run into its bundle and writes it with its weights: weights first, then the
 * bundle (whose presence marks the run done).
 */
export async function writeRun(
  out: string,
  output: RunOutput,
  signer?: SigningKey | null,
): Promise<Bundle> {
  const spec = output.result.spec;
  const made = await runBundle(output, basename(weightsPath(out, spec)));
  if (made.weights) await writeFileAtomic(weightsPath(out, spec), made.weights);
  const unsigned = made.bundle;
  // Refuse to write what verify would reject (e.g. a NaN metric, written by JSON as null).
  const shape = checkShape(unsigned);
  if (!shape.ok) {
    throw new Error(`run ${spec.id}: its result does not fit the bundle schema: ${shape.reason}`);
  }
  const bundle: Bundle = signer ? await signBundle(unsigned, signer) : unsigned;
  await writeFileAtomic(resultPath(out, spec), bundleBytes(bundle));
  return bundle;
}

/**
 * Resume: the finished result of each spec in `out` (null where it is not done), and the specs
 * still to run, in order.
 */
export async function finishedRuns(
  out: string,
  specs: RunSpec[],
): Promise<{ results: (RunResult | null)[]; todo: RunSpec[] }> {
  const results = await Promise.all(specs.map((s) => readResult(out, s)));
  return { results, todo: specs.filter((_, i) => results[i] === null) };
}
