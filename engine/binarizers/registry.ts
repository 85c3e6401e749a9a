/**
 * The binarizer registry. A binarizer is one small unit — forward, gradient, scales, extra
 * parameters, per-epoch schedule — and layers only look it up by name (as Larq's quantizers do).
 * Adding a binarizer means adding one file that exports its `defineBinarizer({...})` record and
 * one line in the composition root (app/plugins.ts) that registers it; `bench` then runs it by
 * default (every registered binarizer is part of the default run).
 */
import type { tf } from "../tf.ts";
import type { Rng } from "../rng.ts";
import { UserError } from "../errors.ts";

type Tensor = tf.Tensor;

/** What a binarizer needs to know about the layer it sits in, to create its parameters. */
export interface LayerShape {
  kind: "conv" | "dense";
  /** Latent weight shape: conv [kh, kw, cin, cout] (HWIO), dense [in, out]. */
  weightShape: number[];
  inChannels: number;
  outChannels: number;
  /** Output spatial size [h, w] of a conv layer (xnorpp's spatial scale map needs it). */
  outSpatial?: [number, number];
}

/** Per-step context: training or evaluation, and the schedule values of the current epoch. */
export interface BinarizerContext {
  training: boolean;
  /** Values from `schedule(epoch, epochs)`, e.g. recu's tau, fda's n and alpha. */
  state: Record<string, number>;
}

/** Learnable extra parameters of one layer, by name. */
export type Params = Record<string, tf.Variable>;

/** What the deployed network must compute besides XNOR + popcount (for the kernels/tracks). */
export interface DeployInfo {
  /** Weights carry a per-output-channel scale (foldable into the output affine transform). */
  weightScale: boolean;
  /** A float reduction over every input at run time (xnor's mean |x| per sample). */
  runtimeActivationScale: boolean;
  /** A learnable per-channel output scale (recu's alpha, xnorpp's alpha). Foldable. */
  channelOutputScale: boolean;
  /** An h x w spatial scale map multiplied into every output (xnorpp). */
  spatialOutputScale: boolean;
  /** A per-input-channel threshold before sign (react); folds into the previous layer. */
  inputThreshold: boolean;
}

/** One operator-level binarization method. See docs/binarizers.md. */
export interface Binarizer {
  name: string;
  /** One line for tables and the site. */
  summary: string;
  /** False only for the full-precision baseline: it changes ReLU/Hardtanh choice, etc. */
  binary: boolean;
  deploy: DeployInfo;
  /** Creates this binarizer's learnable parameters for one layer (names are local). */
  params?(
    layer: LayerShape,
    rng: Rng,
    makeVar: (name: string, init: tf.Tensor) => tf.Variable,
  ): Params;
  /** Binarized (and scaled) weights, differentiable w.r.t. the latent weights. */
  weights(w: Tensor, p: Params, ctx: BinarizerContext, layer: LayerShape): Tensor;
  /** Binarized activations, differentiable w.r.t. the input. */
  activations(x: Tensor, p: Params, ctx: BinarizerContext, layer: LayerShape): Tensor;
  /** Optional transform of the layer output (learnable output scales). */
  output?(y: Tensor, p: Params, ctx: BinarizerContext, layer: LayerShape): Tensor;
  /** Per-epoch schedule values (epoch is 0-based, of `epochs`). */
  schedule?(epoch: number, epochs: number): Record<string, number>;
}

/** All deploy flags false: what a binarizer that declares none of them costs at deploy time. */
export const NO_DEPLOY_COST: DeployInfo = {
  weightScale: false,
  runtimeActivationScale: false,
  channelOutputScale: false,
  spatialOutputScale: false,
  inputThreshold: false,
};

/** A binarizer as its file writes it: the deploy flags it sets (the others default to false). */
export type BinarizerSpec = Omit<Binarizer, "deploy"> & { deploy?: Partial<DeployInfo> };

/** The full record of a binarizer: its spec with every deploy flag it leaves out set to false. */
export function defineBinarizer(spec: BinarizerSpec): Binarizer {
  return { ...spec, deploy: { ...NO_DEPLOY_COST, ...spec.deploy } };
}

const registry = new Map<string, Binarizer>();

/** Registers a binarizer under its name; re-registering a name is an error. */
export function registerBinarizer(b: Binarizer): Binarizer {
  if (!/^[a-z][a-z0-9_-]*$/.test(b.name)) {
    throw new Error(`binarizer name "${b.name}" must be lowercase letters, digits, - or _`);
  }
  if (registry.has(b.name)) throw new Error(`binarizer "${b.name}" is already registered`);
  registry.set(b.name, b);
  return b;
}

/** Looks a binarizer up by name; an unknown name is a user error listing the known ones. */
export function getBinarizer(name: string): Binarizer {
  const b = registry.get(name);
  if (!b) {
    throw new UserError(
      `unknown binarizer "${name}" (known: ${[...registry.keys()].join(", ")})`,
    );
  }
  return b;
}

/** Names of all registered binarizers, in registration order. */
export function binarizerNames(): string[] {
  return [...registry.keys()];
}
