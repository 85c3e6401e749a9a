/**
 * Run result <-> bundle. The runner turns each finished run into a bundle (this is what
 * OUT/runs/<id>.json holds); resume, merge and the tables read bundles back into the engine's
 * `RunResult`, which tracks summarize.
 */
import { basename } from "node:path";
import { deriveSeed } from "../rng.ts";
import { FIXED_TEST_SEED } from "../data/dataset.ts";
import { sha256Hex } from "../data/digest.ts";
import type { RunResult, RunSpec } from "../run.ts";
import { contentId } from "./canonical.ts";
import {
  type Bundle,
  type EngineInfo,
  type Environment,
  SCHEMA_VERSION,
  type Seeds,
  type UnsignedBundle,
} from "./schema.ts";

/** Every seed a run with this spec uses: its own and those the engine derives from it. */
export function seedsOf(spec: Pick<RunSpec, "seed">): Seeds {
  return {
    run: spec.seed,
    init: deriveSeed(spec.seed, "init"),
    shuffle: deriveSeed(spec.seed, "shuffle"),
    valSplit: deriveSeed(spec.seed, "val-split"),
    limitTrain: deriveSeed(spec.seed, "limit-train"),
    limitVal: deriveSeed(spec.seed, "limit-val"),
    testSubset: FIXED_TEST_SEED,
  };
}

/** A dataset source as recorded: package specifiers as they are, local paths as dir:NAME. */
export function publicSource(source: string): string {
  if (source.startsWith("/") || /^[A-Za-z]:[\\/]/.test(source)) {
    return `dir:${basename(source.replace(/[\\/]+$/, "")) || "root"}`;
  }
  return source;
}

/** What a bundle records besides the result itself. */
export interface BundleContext {
  engine: EngineInfo;
  environment: Environment;
  /** The weights file written beside the bundle: its name and bytes. */
  weights?: { file: string; bytes: Uint8Array };
  /** Creation time (default now). */
  created?: Date;
}

/** Builds the (unsigned) bundle of a run result, content id included. */
export async function makeBundle(r: RunResult, ctx: BundleContext): Promise<UnsignedBundle> {
  const body: Omit<UnsignedBundle, "id"> = {
    schema: SCHEMA_VERSION,
    created: (ctx.created ?? new Date()).toISOString(),
    engine: ctx.engine,
    environment: ctx.environment,
    datasets: r.dataset
      ? [{
        name: r.dataset.name,
        source: publicSource(r.dataset.source),
        files: r.dataset.digests.map(({ file, sha256, bytes }) => ({ file, sha256, bytes })),
        sizes: { ...r.dataset.sizes },
        ...(r.dataset.generated?.length
          ? {
            generated: r.dataset.generated.map(({ name, sha256, samples }) => ({
              name,
              sha256,
              samples,
            })),
          }
          : {}),
      }]
      : [],
    config: r.spec,
    seeds: {
      ...seedsOf(r.spec),
      ...(r.seeds && Object.keys(r.seeds).length ? { other: { ...r.seeds } } : {}),
    },
    results: {
      metrics: r.metrics,
      curves: r.curves,
      timings: r.timings,
      ...(r.samples && Object.keys(r.samples).length ? { samples: r.samples } : {}),
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.convergence ? { convergence: r.convergence } : {}),
      ...(r.kernels ? { kernels: r.kernels } : {}),
      ...(r.floatNative ? { floatNative: r.floatNative } : {}),
      ...(ctx.weights
        ? {
          weights: {
            file: ctx.weights.file,
            sha256: await sha256Hex(ctx.weights.bytes),
            bytes: ctx.weights.bytes.length,
          },
        }
        : {}),
    },
  };
  // A JSON round trip drops undefined fields and class instances, as the file will.
  const plain = JSON.parse(JSON.stringify(body)) as Omit<UnsignedBundle, "id">;
  const id = await contentId(plain as UnsignedBundle);
  const { schema, ...rest } = plain;
  return { schema, id, ...rest };
}

/** The engine's view of a bundle (what tracks summarize). */
export function bundleToResult(b: Bundle | UnsignedBundle): RunResult {
  const d = b.datasets[0];
  return {
    spec: b.config,
    metrics: b.results.metrics,
    curves: b.results.curves,
    ...(d
      ? {
        dataset: {
          name: d.name,
          source: d.source,
          digests: d.files,
          sizes: d.sizes,
          ...(d.generated ? { generated: d.generated } : {}),
        },
      }
      : {}),
    timings: b.results.timings,
    ...(b.results.samples ? { samples: b.results.samples } : {}),
    ...(b.seeds.other ? { seeds: b.seeds.other } : {}),
    ...(b.results.parent ? { parent: b.results.parent } : {}),
    ...(b.results.convergence ? { convergence: b.results.convergence } : {}),
    ...(b.results.kernels ? { kernels: b.results.kernels } : {}),
    ...(b.results.floatNative ? { floatNative: b.results.floatNative } : {}),
    backend: {
      backend: b.environment.backend,
      tfjs: b.environment.tfjs,
      simd: b.environment.simd,
    },
  };
}

/**
 * The part of a bundle that identical runs reproduce exactly: everything but the timings (and
 * epoch seconds, timing samples), creation time, engine, environment, id and signature; dataset
 * sources are left out too (the digests identify the data), and so is the parent bundle's content
 * id (a parent trained again has another bundle, the same weights: their digest is compared).
 */
export function reproducibleView(b: Bundle | UnsignedBundle): unknown {
  return {
    config: b.config,
    seeds: b.seeds,
    datasets: b.datasets.map(({ source: _s, ...d }) => d),
    metrics: b.results.metrics,
    curves: b.results.curves.map(({ seconds: _s, ...c }) => c),
    weights: b.results.weights
      ? { sha256: b.results.weights.sha256, bytes: b.results.weights.bytes }
      : null,
    ...(b.results.parent ? { parent: (({ id: _id, ...p }) => p)(b.results.parent) } : {}),
  };
}
