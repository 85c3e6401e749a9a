/**
 * Where a training run's network starts (the reference's recipe): `fp32` (the default for
 * binarized runs) starts a binarized network from the trained fp32 network of the same grid cell
 * (its *parent*: the same spec with binarizer fp32 — task, model, dataset, width, limits, training
 * settings, seed); `scratch` starts from the seeded random initialisation. fp32 runs always start
 * from scratch. A spec without `init` (bundles made before the field existed) means scratch.
 *
 * A grid may train the parent longer or on more data than its children (`parentSize`, recorded in
 * the child's spec): fp32 is trained once per cell to its targets and the binarized networks
 * fine-tune from it within the profile's budget.
 *
 * The parent is a pure function of the child's spec ({@link parentSpec}), so the executor can read
 * its saved weights from the result store or train it again (deterministic: the same weights),
 * the worker pool can hold a child back while its parent is queued or running, and `--shard`
 * can keep a parent and its children in one shard.
 */
import { UserError } from "./errors.ts";
import { runId, type RunSpec } from "./run.ts";

/** The initialisations `--init` accepts. */
export const INITS = ["fp32", "scratch"] as const;
export type InitName = typeof INITS[number];

/** The default: binarized runs start from the trained fp32 network. */
export const DEFAULT_INIT: InitName = "fp32";

/** Parses an `--init` value; a one-line UserError otherwise. */
export function parseInit(text: string): InitName {
  if (!(INITS as readonly string[]).includes(text)) {
    throw new UserError(`unknown --init "${text}" (expected one of: ${INITS.join(", ")})`);
  }
  return text as InitName;
}

/** A training spec with its initialisation recorded (fp32 networks always start from scratch). */
export function withInit(spec: RunSpec, init: InitName = DEFAULT_INIT): RunSpec {
  return { ...spec, init: spec.binarizer === "fp32" ? "scratch" : init };
}

/** The run's initialisation: absent (bundles made before the field existed) = scratch. */
export function initOf(spec: Pick<RunSpec, "init">): InitName {
  return spec.init ?? "scratch";
}

/** Where a cell's fp32 parent trains differently from its children (the config's `parentSize`). */
export type ParentSize = NonNullable<RunSpec["parentSize"]>;

/**
 * The fp32 run of `spec`'s cell: binarizer fp32, from scratch, with the spec's `parentSize`
 * applied (its epochs and sample limits replace the spec's) and the field itself dropped.
 */
function asParent(spec: RunSpec): RunSpec {
  const { parentSize, ...rest } = spec;
  const base = { ...rest, binarizer: "fp32" };
  const train = base.train && parentSize?.epochs !== undefined
    ? { ...base.train, epochs: parentSize.epochs }
    : base.train;
  const limit = parentSize?.limit ? { ...base.limit, ...parentSize.limit } : base.limit;
  return {
    ...base,
    id: runId(base),
    init: "scratch",
    ...(train ? { train } : {}),
    ...(limit ? { limit } : {}),
  };
}

/** The fp32 run whose trained weights `spec` starts from, or null (scratch, fp32, not a train run). */
export function parentSpec(spec: RunSpec): RunSpec | null {
  if (spec.kind !== "train" || spec.binarizer === "fp32" || initOf(spec) !== "fp32") return null;
  return asParent(spec);
}

/**
 * A grid's spec with its cell's parent size: the fp32 run trains at `size` (more data or epochs,
 * so that fp32 reaches its targets once per cell), a binarized run that starts from it records
 * `size` so that {@link parentSpec} names exactly that run; scratch runs are left as they are.
 */
export function withParentSize(spec: RunSpec, size: ParentSize | undefined): RunSpec {
  if (!size || spec.kind !== "train") return spec;
  if (spec.binarizer === "fp32") return asParent({ ...spec, parentSize: size });
  return initOf(spec) === "fp32" ? { ...spec, parentSize: size } : spec;
}

/** The id of `spec`'s parent run, or undefined (see {@link parentSpec}). */
export function parentId(spec: RunSpec): string | undefined {
  return parentSpec(spec)?.id;
}
