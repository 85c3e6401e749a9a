/**
 * What a network is (`Model`), how a model file builds one (`Builder` with the `BuildKit`), and
 * the model registry: models are looked up by name, one file each in engine/nn/models/, registered
 * by the composition root (app/plugins.ts). As in the reference, only the body is binarized: the
 * stem, the classifier head and 1x1 downsample shortcuts stay full precision; binarized networks
 * use Hardtanh where the full-precision one uses ReLU, and BatchNorm follows every binarized conv.
 */
import { tf } from "../tf.ts";
import { Rng } from "../rng.ts";
import { ParamStore } from "./params.ts";
import { UserError } from "../errors.ts";
import { getBinarizer } from "../binarizers/mod.ts";
import { Activation, BatchNorm, Conv2D, type Ctx, Dense, type Layer, MaxPool } from "./layers.ts";

/** A built network: its layer tree and its parameters. */
export interface Model {
  name: string;
  binarizer: string;
  root: Layer;
  store: ParamStore;
  /** Shape of one sample ([h, w, c] for images; other tasks use their own rank). */
  inputShape: number[];
  numClasses: number;
  /** Logits for a batch NHWC. */
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor;
}

/** What a model builder is given. */
export interface ModelInput {
  inputShape: number[];
  numClasses: number;
  binarizer: string;
  seed: number;
  /** Channel multiplier (1 = the documented width). */
  width?: number;
}

/** Builds a model's layer tree with the kit's helpers. */
export type Builder = (b: BuildKit, input: ModelInput) => Layer;

/** Helpers that name layers uniquely and thread the parameter store and RNG through. */
export class BuildKit {
  readonly store = new ParamStore();
  #n = 0;
  constructor(readonly rng: Rng, readonly binarizer: string) {}

  get act(): Activation {
    return new Activation(getBinarizer(this.binarizer).binary ? "hardtanh" : "relu");
  }
  /** A unique layer name ("conv3"), for parameter paths. */
  uniqueName(kind: string): string {
    return `${kind}${this.#n++}`;
  }
  /** conv [+ maxpool] + BN + act; binarized unless `fp`. */
  convBlock(cin: number, cout: number, spatial: [number, number], o: {
    fp?: boolean;
    pool?: boolean;
    stride?: number;
    kernel?: number;
  } = {}): Layer[] {
    const conv = this.conv(cin, cout, spatial, o);
    const layers: Layer[] = [conv];
    if (o.pool) layers.push(new MaxPool());
    layers.push(this.bn(cout), this.act);
    return layers;
  }
  conv(cin: number, cout: number, spatial: [number, number], o: {
    fp?: boolean;
    stride?: number;
    kernel?: number;
  } = {}): Conv2D {
    return new Conv2D(
      {
        name: this.uniqueName("conv"),
        inChannels: cin,
        outChannels: cout,
        kernel: o.kernel ?? 3,
        stride: o.stride ?? 1,
        inSpatial: spatial,
        binarizer: o.fp ? "fp32" : this.binarizer,
      },
      this.store,
      this.rng,
    );
  }
  bn(c: number): BatchNorm {
    return new BatchNorm(this.uniqueName("bn"), c, this.store);
  }
  dense(i: number, o: number, fp = false): Dense {
    return new Dense(
      {
        name: this.uniqueName("dense"),
        inFeatures: i,
        outFeatures: o,
        binarizer: fp ? "fp32" : this.binarizer,
      },
      this.store,
      this.rng,
    );
  }
}

/** Channels at a width multiplier: `base * width`, rounded, at least 1. */
export const ch = (base: number, width = 1): number => Math.max(1, Math.round(base * width));
/** A spatial size halved (max-pooling, floor). */
export const half = (s: [number, number]): [number, number] => [
  Math.floor(s[0] / 2),
  Math.floor(s[1] / 2),
];

const builders: Record<string, Builder> = {};

/**
 * Registers a model builder under its name. The composition root (app/plugins.ts) registers every
 * model (engine/nn/models/, one file each); a test can register its own.
 */
export function registerModel(name: string, build: Builder): void {
  if (builders[name]) throw new Error(`model "${name}" is already registered`);
  builders[name] = build;
}

/** Names of the available models. */
export function modelNames(): string[] {
  return Object.keys(builders);
}

/** Builds a model with deterministic initial weights from `seed`. */
export function buildModel(name: string, input: ModelInput): Model {
  const build = builders[name];
  if (!build) throw new UserError(`unknown model "${name}" (known: ${modelNames().join(", ")})`);
  const kit = new BuildKit(new Rng(input.seed), input.binarizer);
  const root = build(kit, input);
  return {
    name,
    binarizer: input.binarizer,
    root,
    store: kit.store,
    inputShape: input.inputShape,
    numClasses: input.numClasses,
    apply: (x, ctx) => root.apply(x, ctx),
  };
}
