/**
 * The result bundle's shape, written once: this JSON Schema (draft-07) is a TypeScript `const`,
 * the types below are derived from it by {@link FromSchema}, and `bundle-v1.schema.json` beside
 * this file is generated from it (`deno task schema`; a test fails when the file is stale).
 *
 * The schema is strict: every object lists its fields (`additionalProperties: false`), every
 * field is required unless it is marked optional below, every string has a length limit
 * ({@link MAX_TEXT} unless a field says less), every array and record a size limit, and every
 * number the range a real run can produce (fractions in [0, 1], times up to {@link MAX_SECONDS},
 * counts up to what wasm32 memory can hold). Executor options are JSON values of bounded size.
 * Non-finite, negative-zero and subnormal numbers cannot appear (the verifier's parser refuses
 * them before validation), nor can a key twice.
 *
 * Versioning: `schema` holds {@link SCHEMA_VERSION}. A change that an old verifier would reject
 * (a new field, a new required field, a narrower range) is a new version: a new `bibench-bundle/N`
 * constant and schema file, with the verifier keeping the old one readable.
 */
import type { EpochRecord } from "../nn/train.ts";
import type { FileDigest } from "../data/dataset.ts";
import type { GeneratedDigest } from "../data/generated.ts";
import type { OptimizerName, ScheduleName } from "../nn/optim.ts";
import type { Convergence, PlateauRule } from "../nn/convergence.ts";

/** The schema version every bundle carries in its `schema` field. */
export const SCHEMA_VERSION = "bibench-bundle/1";

/** Name of the generated schema file (beside this module). */
export const SCHEMA_FILE = "bundle-v1.schema.json";

/** Longest free string (names, versions, CPU model, file names, option strings). */
export const MAX_TEXT = 256;
/** Longest time a run's phase can take, in seconds (about 11.6 days); also bounds ms timings. */
export const MAX_SECONDS = 1e6;
/** Largest count of parameters: more float32 values than wasm32 memory (4 GiB) can hold. */
const MAX_PARAMS = 2 ** 32;
/** Largest count of operations (FLOPs, BOPs) of one inference. */
const MAX_OPS = 1e15;
/** Largest count of samples, and the default bound of an integer count. */
const MAX_SAMPLES = 1e9;
/** Largest file or model size in bytes (1 TiB). */
const MAX_BYTES = 2 ** 40;
/** Largest magnitude of a metric without a narrower range of its own. */
const MAX_METRIC = 1e15;

// ---- builders: plain objects, typed precisely so the mapper below can read them ----

function str<const X extends Record<string, unknown> = Record<never, never>>(
  description: string,
  extra?: X,
) {
  return { type: "string", description, maxLength: MAX_TEXT, ...extra } as
    & { readonly type: "string"; readonly description: string; readonly maxLength: number }
    & Omit<X, "maxLength">;
}
function int(description: string, minimum = 0, maximum = MAX_SAMPLES) {
  return { type: "integer", description, minimum, maximum } as const;
}
function num<const X extends Record<string, unknown> = Record<never, never>>(
  description: string,
  extra?: X,
) {
  return { type: "number", description, ...(extra as X) } as const;
}
function bool(description: string) {
  return { type: "boolean", description } as const;
}
function arr<const I>(description: string, items: I, maxItems = 10_000) {
  return { type: "array", description, items, maxItems } as const;
}
function obj<
  const P extends Record<string, unknown>,
  const R extends readonly (keyof P & string)[],
>(description: string, properties: P, required: R) {
  return {
    type: "object",
    description,
    properties,
    required,
    additionalProperties: false,
  } as const;
}
function record<const V, const P extends Record<string, unknown> = Record<never, never>>(
  description: string,
  values: V,
  patternProperties?: P,
) {
  return {
    type: "object",
    description,
    propertyNames: { pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,63}$" },
    ...(patternProperties ? { patternProperties } : {}),
    additionalProperties: values,
    maxProperties: 1000,
  } as const;
}

/**
 * An executor option: a JSON value of bounded size (strings up to {@link MAX_TEXT}, arrays and
 * objects up to 64 entries, `depth` levels of nesting below this one).
 */
function optionValue(depth: number): Record<string, unknown> {
  const scalar = {
    maxLength: MAX_TEXT,
    minimum: -MAX_METRIC,
    maximum: MAX_METRIC,
  };
  if (depth === 0) return { type: ["string", "number", "boolean", "null"], ...scalar };
  const inner = optionValue(depth - 1);
  return {
    type: ["string", "number", "boolean", "null", "array", "object"],
    ...scalar,
    maxItems: 64,
    items: inner,
    maxProperties: 64,
    propertyNames: { maxLength: MAX_TEXT },
    additionalProperties: inner,
  };
}

const HEX64 = "^[0-9a-f]{64}$";
const SEED = int("a 32-bit seed", 0, 4294967295);
const NAME = str("a name", { pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$" });

const fileDigest = obj("one input file and the SHA-256 of its (decompressed) content", {
  file: str("name relative to the dataset root or package (never an absolute path)"),
  sha256: str("lowercase hex SHA-256", { pattern: HEX64 }),
  bytes: int("size in bytes", 0, MAX_BYTES),
}, ["file", "sha256", "bytes"]);

const generatedDigest = obj("the SHA-256 of one set of generated samples", {
  name: str("a split (train, val, test) or test/<corruption>", {
    pattern: "^(train|val|test)(/[A-Za-z0-9._+-]{1,64})?$",
  }),
  sha256: str("lowercase hex SHA-256 of the float32 values (little-endian), then the label bytes", {
    pattern: HEX64,
  }),
  samples: int("samples hashed"),
}, ["name", "sha256", "samples"]);

const trainSettings = obj("training hyperparameters (the seed lives on the spec)", {
  optimizer: { type: "string", enum: ["sgd", "adam"], description: "optimizer" },
  lr: num("base learning rate", { minimum: 0, maximum: 10 }),
  momentum: num("SGD momentum (ignored by Adam)", { minimum: 0, maximum: 1 }),
  weightDecay: num("L2 weight decay of conv / dense kernels", { minimum: 0, maximum: 1 }),
  schedule: {
    type: "string",
    enum: ["cosine", "step", "constant"],
    description: "learning-rate schedule",
  },
  epochs: int("epochs; with plateau, the most epochs (the cap)", 1, 100_000),
  batchSize: int("batch size", 1, 1_000_000),
  plateau: obj(
    "stop when validation accuracy plateaus (engine/nn/convergence.ts); absent = " +
      "train the configured epochs",
    {
      patience: int("epochs in a row without an improvement of minDelta before stopping", 1, 1000),
      minDelta: num("smallest validation-accuracy gain that counts (a fraction: 0.002 = 0.2 pp)", {
        minimum: 0,
        maximum: 1,
      }),
      minEpochs: int("epochs always trained before the rule may stop", 1, 100_000),
    },
    ["patience", "minDelta", "minEpochs"],
  ),
}, ["optimizer", "lr", "momentum", "weightDecay", "schedule", "epochs", "batchSize"]);

const limits = obj("sample limits per split (small profiles); absent = the whole split", {
  train: int("at most this many training samples"),
  val: int("at most this many validation samples"),
  test: int("at most this many test samples"),
}, []);

/** A run's full configuration (the engine's `RunSpec`): all the input a run needs. */
export const configSchema = obj("everything that determines a run", {
  id: str("unique within a grid, path-like: task/mnist/vgg-small/bnn/seed0", {
    pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]*(/[A-Za-z0-9][A-Za-z0-9._+-]*)*$",
    maxLength: 200,
  }),
  kind: str("executor that runs this spec (train unless a track registered another)", {
    pattern: "^[a-z][a-z0-9-]{0,63}$",
  }),
  track: NAME,
  task: NAME,
  dataset: NAME,
  model: NAME,
  width: num("channel multiplier of the model (1 = documented width)", {
    minimum: 1 / 64,
    maximum: 64,
  }),
  binarizer: NAME,
  seed: SEED,
  profile: NAME,
  train: trainSettings,
  limit: limits,
  init: {
    type: "string",
    enum: ["fp32", "scratch"],
    description: "where training starts: fp32 = from the trained fp32 network of the same " +
      "cell (results.parent names it), scratch = seeded random weights; absent = scratch",
  },
  parentSize: obj(
    "where this run's fp32 parent (init fp32) trains differently from the run itself: the " +
      "cell's fp32 network trains once, to its targets, on more data or epochs than the " +
      "binarized runs that fine-tune from it (engine/init.ts); absent = the parent is this " +
      "spec with binarizer fp32",
    {
      epochs: int("the parent's epochs (with plateau, its cap)", 1, 100_000),
      limit: limits,
    },
    [],
  ),
  options: {
    type: "object",
    description: "executor-specific settings (JSON values of bounded size)",
    maxProperties: 64,
    propertyNames: { maxLength: MAX_TEXT },
    additionalProperties: optionValue(3),
  },
}, ["id", "kind", "track", "task", "dataset", "model", "width", "binarizer", "seed", "profile"]);

const curve = obj("one training epoch", {
  epoch: int("0-based epoch index", 0, 100_000),
  lr: num("learning rate at the end of the epoch", { minimum: 0, maximum: 10 }),
  trainLoss: num("mean training loss over the epoch", { minimum: 0, maximum: MAX_METRIC }),
  trainAccuracy: num("training accuracy over the epoch", { minimum: 0, maximum: 1 }),
  valAccuracy: num("validation accuracy after the epoch", { minimum: 0, maximum: 1 }),
  seconds: num("wall-clock seconds of the epoch (a timing)", { minimum: 0, maximum: MAX_SECONDS }),
}, ["epoch", "lr", "trainLoss", "trainAccuracy", "valAccuracy", "seconds"]);

const cpu = obj("the processor", {
  model: str("CPU model name (/proc/cpuinfo), or unknown"),
  flags: arr("instruction-set flags that matter to the kernels (popcnt, avx2, avx512*, ...)", {
    type: "string",
    pattern: "^[a-z0-9_.]{1,32}$",
  }, 128),
  cores: int("logical cores", 1, 65_536),
}, ["model", "flags", "cores"]);

/** The machine and software a run ran on. No host name, user name or path: bundles are public. */
export const environmentSchema = obj("environment fingerprint", {
  deno: str("Deno version"),
  v8: str("V8 version"),
  typescript: str("TypeScript version"),
  tfjs: str("TensorFlow.js version"),
  backend: str("tfjs backend (wasm, cpu)"),
  simd: bool("whether the wasm backend runs its SIMD build"),
  os: str("operating system (Deno.build.os)"),
  arch: str("architecture (Deno.build.arch)"),
  kernel: str("kernel release (Deno.osRelease), or unknown"),
  cpu,
  memoryBytes: int("total memory in bytes (0 = unknown)", 0, 2 ** 50),
}, [
  "deno",
  "v8",
  "typescript",
  "tfjs",
  "backend",
  "simd",
  "os",
  "arch",
  "kernel",
  "cpu",
  "memoryBytes",
]);

const dataset = obj("a dataset a run read, identified by the SHA-256 of every file", {
  name: NAME,
  source: str("where it came from: an npm package or dir:NAME (no local paths)"),
  files: arr("every file read, in read order", fileDigest, 1000),
  sizes: obj("samples per split", {
    train: int("training samples"),
    val: int("validation samples"),
    test: int("test samples"),
  }, ["train", "val", "test"]),
  generated: arr(
    "optional: digests of samples the run generated rather than read (point clouds, corrupted " +
      "test images), whose values depend on the JavaScript engine's Math.sin / cos / log",
    generatedDigest,
    64,
  ),
}, ["name", "source", "files", "sizes"]);

const seeds = obj("every seed the run used: its seed and the ones derived from it", {
  run: SEED,
  init: SEED,
  shuffle: SEED,
  valSplit: SEED,
  limitTrain: SEED,
  limitVal: SEED,
  testSubset: SEED,
  other: record("seeds an executor derived for its own purposes (e.g. corruption noise)", SEED),
}, ["run", "init", "shuffle", "valSplit", "limitTrain", "limitVal", "testSubset"]);

const results = obj("what the run produced", {
  metrics: record(
    "named numbers (train runs: testAccuracy, valAccuracy, ...); names say their range",
    { type: "number", minimum: -MAX_METRIC, maximum: MAX_METRIC },
    {
      "^accuracy\\.|[aA]ccuracy$|F1$|^agreement$": num("a fraction", { minimum: 0, maximum: 1 }),
      "^gap\\.": num("a difference of two fractions", { minimum: -1, maximum: 1 }),
      "(^|\\.)params(Fp)?$|Params$": int("a parameter count", 0, MAX_PARAMS),
      "(^|\\.)(bops|flops|flopsFp|flopsLeft)$|Flops$": int("an operation count", 0, MAX_OPS),
      "Bytes$": int("a size in bytes", 0, MAX_BYTES),
      "^disagreements$": int("a count of test samples", 0, MAX_SAMPLES),
    },
  ),
  curves: arr("per-epoch records ([] for runs that do not train)", curve, 100_000),
  timings: record(
    "what was measured in time (seconds by phase; latencies, speed-ups and load of the " +
      "inference track): the only numbers that vary between identical runs",
    { type: "number", minimum: 0, maximum: MAX_SECONDS },
  ),
  samples: record(
    "repeated measurements behind some timings, in measurement order (train track: ms per " +
      "training step of the run's network and of fp32, alternating pairs; inference track: " +
      "paired T_fp / T_bi ratios): measured, so they vary between identical runs",
    arr("one measurement per sample", { type: "number", minimum: 0, maximum: MAX_SECONDS }, 1000),
  ),
  weights: obj("the trained weights file kept beside the bundle", {
    file: str("file name, in the bundle's directory", {
      pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]*\\.weights\\.bin$",
    }),
    sha256: str("lowercase hex SHA-256 of the file", { pattern: HEX64 }),
    bytes: int("file size in bytes", 1, MAX_BYTES),
  }, ["file", "sha256", "bytes"]),
  parent: obj("the trained fp32 network the run started from (config.init fp32)", {
    run: str("the parent's run id (config.id of its bundle)", { maxLength: 200 }),
    id: str(
      "content id of the parent's bundle; absent when the parent was trained again in-process " +
        "(not in the result store)",
      { pattern: "^sha256:[0-9a-f]{64}$" },
    ),
    sha256: str("lowercase hex SHA-256 of the parent's weights file", { pattern: HEX64 }),
    bytes: int("size of the parent's weights file in bytes", 1, MAX_BYTES),
    copied: int("parameters (tensors) copied: same name and shape in both networks", 0, 1e6),
    kept: int("parameters (tensors) only the run's network has, left at their seeded init", 0, 1e6),
  }, ["run", "sha256", "bytes", "copied", "kept"]),
  convergence: obj(
    "how training ended (train runs; engine/nn/convergence.ts recomputes it from " +
      "the curves); absent in bundles made before the field existed",
    {
      epochsRun: int("epochs trained (the curves' length)", 1, 100_000),
      stop: {
        type: "string",
        enum: ["epochs", "plateau", "cap"],
        description: "epochs: fixed epochs (no plateau rule); plateau: the rule stopped " +
          "training; cap: the rule never fired before the configured epochs",
      },
      converged: bool("the validation gain over the last quarter of the epochs is below 0.5 pp"),
      lastQuarterGain: num(
        "best validation accuracy in the last ceil(E/4) epochs minus the best before them " +
          "(absent with fewer than 2 epochs)",
        { minimum: -1, maximum: 1 },
      ),
    },
    ["epochsRun", "stop", "converged"],
  ),
  kernels: obj(
    "the binary kernels an inference run timed (infer track); absent in bundles made before " +
      "the field existed",
    {
      family: str("kernel family: lut or popcnt (WebAssembly), native-<isa> (C through FFI)", {
        pattern: "^(lut|popcnt|native-[a-z0-9]{1,16})$",
      }),
      cpuFeatures: arr("CPU features the native library detected ([] when none was loaded)", {
        type: "string",
        pattern: "^[a-z0-9_.]{1,32}$",
      }, 64),
      threads: int("threads per kernel call", 1, 1024),
      choice: {
        type: "string",
        enum: ["measured", "forced", "only"],
        description: "why this family: measured (native and WebAssembly lut raced on the " +
          "deployed network at load, the faster kept), forced (BIBENCH_KERNELS), only (no " +
          "native library); absent in older bundles",
      },
      nativeFamily: str("the native path raced or forced: native-<isa>", {
        pattern: "^native-[a-z0-9]{1,16}$",
      }),
      nativeSpeedup: num(
        "median paired T_lut / T_native of the race at load (> 1: native faster)",
        {
          minimum: 0,
          maximum: 1e6,
        },
      ),
    },
    ["family", "cpuFeatures", "threads"],
  ),
  floatNative: obj(
    "infer track: the fp32 network exported to ONNX and run on a native float engine (CPU) " +
      "beside tfjs-wasm; its latencies and speed-ups are timings (latencyOrt<T>B<n>Ms, " +
      "speedupOrt<T>B<n>, T = 1 or All threads); absent in bundles made before the field existed",
    {
      engine: str("the engine's npm package (onnxruntime-node)"),
      version: str("the engine's version, when it loaded"),
      available: bool("whether the engine loaded and was timed"),
      reason: str("why it was not, when it did not load"),
      threads: arr(
        "intra-op thread counts timed (1, then all cores)",
        int("threads", 1, 65_536),
        8,
      ),
      check: obj(
        "fp32 runs: the ONNX export of the trained network on the engine (1 thread) vs tfjs on " +
          "the test split",
        {
          images: int("test images compared"),
          agreement: num("share with the same predicted class", { minimum: 0, maximum: 1 }),
          disagreements: int("images whose predicted classes differ"),
          maxLogitDiff: num("largest |logit difference|", { minimum: 0, maximum: MAX_METRIC }),
          maxAbsLogit: num("largest |logit| (tfjs)", { minimum: 0, maximum: MAX_METRIC }),
        },
        ["images", "agreement", "disagreements", "maxLogitDiff", "maxAbsLogit"],
      ),
    },
    ["engine", "available", "threads"],
  ),
}, ["metrics", "curves", "timings"]);

const signature = obj("Ed25519 signature over the RFC 8785 canonical JSON of the rest", {
  algorithm: { type: "string", const: "Ed25519", description: "signature algorithm" },
  keyId: str("ed25519: + hex of the first 16 bytes of SHA-256(raw public key)", {
    pattern: "^ed25519:[0-9a-f]{32}$",
  }),
  // Canonical base64 only: the padding bits of the last character are zero, so one signature
  // has one spelling.
  publicKey: str("raw 32-byte public key, canonical base64", {
    pattern: "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
  }),
  value: str("64-byte signature, canonical base64", {
    pattern: "^[A-Za-z0-9+/]{85}[AQgw]==$",
  }),
}, ["algorithm", "keyId", "publicKey", "value"]);

/** The whole bundle. */
export const bundleSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "urn:bibench-ts:bundle:1",
  title: "bibench-ts result bundle, version 1",
  ...obj("one benchmark run: configuration, seeds, environment, results and signature", {
    schema: { type: "string", const: SCHEMA_VERSION, description: "schema version" },
    id: str("content id: sha256: + hex SHA-256 of the canonical JSON without id and signature", {
      pattern: "^sha256:[0-9a-f]{64}$",
    }),
    created: str("creation time, UTC, ISO 8601", {
      pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$",
    }),
    engine: obj("the code that made it", {
      version: str("bibench-ts version (deno.json)"),
      commit: str("git commit, or unknown", { pattern: "^([0-9a-f]{40}|[0-9a-f]{64}|unknown)$" }),
      dirty: bool("whether tracked files differed from the commit"),
      denoLock: str("SHA-256 of deno.lock, or unknown", { pattern: "^([0-9a-f]{64}|unknown)$" }),
    }, ["version", "commit", "dirty", "denoLock"]),
    environment: environmentSchema,
    datasets: arr("datasets read, with their SHA-256", dataset, 16),
    config: configSchema,
    seeds,
    results,
    signature,
  }, [
    "schema",
    "id",
    "created",
    "engine",
    "environment",
    "datasets",
    "config",
    "seeds",
    "results",
  ]),
} as const;

// ---- the type mapper: JSON Schema subset -> TypeScript type ----

type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

/** The TypeScript type of values a schema (of the subset used here) accepts. */
export type FromSchema<S> = S extends { const: infer C } ? C
  : S extends { enum: readonly (infer E)[] } ? E
  : S extends { type: "string" } ? string
  : S extends { type: "number" | "integer" } ? number
  : S extends { type: "boolean" } ? boolean
  : S extends { type: "array"; items: infer I } ? FromSchema<I>[]
  : S extends { type: "object"; properties: infer P; required: readonly (infer R)[] } ? Simplify<
      & { -readonly [K in keyof P & R]: FromSchema<P[K]> }
      & { -readonly [K in Exclude<keyof P, R>]?: FromSchema<P[K]> }
    >
  : S extends { type: "object"; additionalProperties: infer A }
    ? Record<string, keyof A extends never ? unknown : FromSchema<A>>
  : unknown;

/** A result bundle. */
export type Bundle = FromSchema<typeof bundleSchema>;
/** A run's configuration: the engine's `RunSpec`. */
export type BundleConfig = FromSchema<typeof configSchema>;
/** The environment fingerprint. */
export type Environment = FromSchema<typeof environmentSchema>;
/** The engine block. */
export type EngineInfo = Bundle["engine"];
/** Seeds block. */
export type Seeds = Bundle["seeds"];
/** The link from a run to the fp32 network it started from. */
export type ParentLink = NonNullable<Bundle["results"]["parent"]>;
/** How a training run ended. */
/** The infer track's native float baseline record (results.floatNative). */
export type FloatNative = NonNullable<Bundle["results"]["floatNative"]>;
/** How training ended (results.convergence). */
export type ConvergenceRecord = NonNullable<Bundle["results"]["convergence"]>;
/** Signature block. */
export type Signature = NonNullable<Bundle["signature"]>;
/** A bundle before it is signed. */
export type UnsignedBundle = Omit<Bundle, "signature">;

// ---- compile-time checks: the schema and the engine's own types describe the same values ----

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
type Assert<T extends true> = T;
export type _CurveMatchesEpochRecord = Assert<
  Equal<Simplify<Bundle["results"]["curves"][number]>, Simplify<EpochRecord>>
>;
export type _FileMatchesDigest = Assert<
  Equal<Simplify<Bundle["datasets"][number]["files"][number]>, Simplify<FileDigest>>
>;
export type _GeneratedMatchesDigest = Assert<
  Equal<
    Simplify<NonNullable<Bundle["datasets"][number]["generated"]>[number]>,
    Simplify<GeneratedDigest>
  >
>;
export type _OptimizersMatch = Assert<
  Equal<NonNullable<BundleConfig["train"]>["optimizer"], OptimizerName>
>;
export type _PlateauMatches = Assert<
  Equal<Simplify<NonNullable<NonNullable<BundleConfig["train"]>["plateau"]>>, Simplify<PlateauRule>>
>;
export type _ConvergenceMatches = Assert<
  Equal<Simplify<ConvergenceRecord>, Simplify<Convergence>>
>;
export type _SchedulesMatch = Assert<
  Equal<NonNullable<BundleConfig["train"]>["schedule"], ScheduleName>
>;

/** The schema as the text of `bundle-v1.schema.json`. */
export function schemaJsonText(): string {
  return JSON.stringify(bundleSchema, null, 2) + "\n";
}

// ---- device bundles: one browser's inference timings ("Measure this device") ----

/** The schema version of a device bundle (a kind of its own, beside the run bundles). */
export const DEVICE_SCHEMA_VERSION = "bibench-device/1";

/** Name of the generated device-bundle schema file (beside this module). */
export const DEVICE_SCHEMA_FILE = "device-v1.schema.json";

/** Longest user-agent string a device bundle may carry (the only free text in it). */
export const MAX_USER_AGENT = 512;

/** Batch sizes a device measurement may time (the infer track's are 1 and 64). */
export const DEVICE_BATCHES = [1, 2, 4, 8, 16, 32, 64] as const;

/**
 * The browser's fingerprint: what the measurement ran on, nothing that identifies a person. Every
 * value is enumerated or bounded; the user agent is the one free string (printable ASCII, at most
 * {@link MAX_USER_AGENT} characters).
 */
export const deviceSchema = obj("the browser and machine the measurement ran on", {
  userAgent: str("navigator.userAgent (printable ASCII)", {
    pattern: "^[\\x20-\\x7e]{1,512}$",
    maxLength: MAX_USER_AGENT,
  }),
  class: {
    type: "string",
    enum: ["desktop", "mobile"],
    description: "device class: mobile when the user agent says so (Mobi, Android, iPhone, iPad)",
  },
  cores: int("navigator.hardwareConcurrency (logical cores)", 1, 1024),
  simd: bool("WebAssembly SIMD (128-bit) validates"),
  relaxedSimd: bool("WebAssembly relaxed SIMD validates"),
  memoryGiB: {
    type: "number",
    enum: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    description: "navigator.deviceMemory in GiB, where the browser exposes it (rounded by it)",
  },
}, ["userAgent", "class", "cores", "simd", "relaxedSimd"]);

const deviceModelFile = obj("one deployed-model file that was timed", {
  binarizer: NAME,
  sha256: str("lowercase hex SHA-256 of the model file", { pattern: HEX64 }),
  bytes: int("model file size in bytes", 1, MAX_BYTES),
}, ["binarizer", "sha256", "bytes"]);

const deviceTiming = obj("one binarized model against fp32 at one batch size", {
  binarizer: NAME,
  batch: { type: "integer", enum: DEVICE_BATCHES, description: "batch size" },
  latencyMs: num("median ms per call, deployed binarized model", {
    exclusiveMinimum: 0,
    maximum: MAX_SECONDS,
  }),
  latencyFpMs: num("median ms per call, fp32 model (tfjs-wasm)", {
    exclusiveMinimum: 0,
    maximum: MAX_SECONDS,
  }),
  speedup: num("median of the paired ratios T_fp / T_bi", {
    exclusiveMinimum: 0,
    maximum: 1e6,
  }),
  samples: int("alternating sample pairs", 1, 100_000),
}, ["binarizer", "batch", "latencyMs", "latencyFpMs", "speedup", "samples"]);

/** A device bundle: one browser's run of the inference timing protocol, signed in the browser. */
export const deviceBundleSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "urn:bibench-ts:device:1",
  title: "bibench-ts device inference bundle, version 1",
  ...obj("the infer track's timing protocol run in a browser: device, models, timings, signature", {
    schema: { type: "string", const: DEVICE_SCHEMA_VERSION, description: "schema version" },
    id: str("content id: sha256: + hex SHA-256 of the canonical JSON without id and signature", {
      pattern: "^sha256:[0-9a-f]{64}$",
    }),
    created: str("creation time, UTC, ISO 8601 (the browser's clock)", {
      pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$",
    }),
    site: obj("the site build that measured", {
      version: str("bibench-ts version (deno.json)", { pattern: "^[0-9A-Za-z.+-]{1,64}$" }),
      tfjs: str("TensorFlow.js version of the fp32 side", { pattern: "^[0-9A-Za-z.+-]{1,64}$" }),
    }, ["version", "tfjs"]),
    device: deviceSchema,
    model: obj("the network timed: binarized deployments and the fp32 one", {
      name: NAME,
      inputShape: arr("one sample's shape", int("a dimension", 1, 4096), 4),
      fp32: deviceModelFile,
      files: arr("the binarized model files", deviceModelFile, 16),
    }, ["name", "inputShape", "fp32", "files"]),
    protocol: obj("the timing protocol (engine/deploy/timing.ts)", {
      warmup: int("untimed calls before calibration", 0, 1000),
      minSampleMs: num("each sample repeats its call until it lasts this long", {
        minimum: 0,
        maximum: 10_000,
      }),
      budgetMs: num("milliseconds of alternating samples per binarizer and batch", {
        minimum: 0,
        maximum: 600_000,
      }),
      minSamples: int("at least this many sample pairs", 1, 10_000),
      batches: arr("batch sizes timed", {
        type: "integer",
        enum: DEVICE_BATCHES,
        description: "batch size",
      }, 7),
    }, ["warmup", "minSampleMs", "budgetMs", "minSamples", "batches"]),
    results: arr("one entry per binarizer and batch size", deviceTiming, 128),
    seconds: num("wall-clock seconds of the whole measurement", {
      exclusiveMinimum: 0,
      maximum: MAX_SECONDS,
    }),
    signature,
  }, [
    "schema",
    "id",
    "created",
    "site",
    "device",
    "model",
    "protocol",
    "results",
    "seconds",
    "signature",
  ]),
} as const;

/** A device bundle. */
export type DeviceBundle = FromSchema<typeof deviceBundleSchema>;
/** The browser fingerprint of a device bundle. */
export type DeviceInfo = FromSchema<typeof deviceSchema>;
/** A device bundle before it is signed. */
export type UnsignedDeviceBundle = Omit<DeviceBundle, "signature">;

/** The device schema as the text of `device-v1.schema.json`. */
export function deviceSchemaJsonText(): string {
  return JSON.stringify(deviceBundleSchema, null, 2) + "\n";
}
