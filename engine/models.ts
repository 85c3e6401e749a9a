/**
 * The networks. As in the reference, only the body is binarized: the stem, the classifier head and
 * 1x1 downsample shortcuts stay full precision; binarized networks use Hardtanh where the
 * full-precision one uses ReLU, and BatchNorm follows every binarized conv.
 */
import { tf } from "./tf.ts";
import { Rng } from "./rng.ts";
import { ParamStore } from "./params.ts";
import { UserError } from "./errors.ts";
import { getBinarizer } from "./binarizers/mod.ts";
import {
  Activation,
  BatchNorm,
  Conv2D,
  type Ctx,
  Dense,
  Flatten,
  GlobalAvgPool,
  type Layer,
  MaxPool,
  Residual,
  Sequential,
} from "./layers.ts";

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

const ch = (base: number, width = 1) => Math.max(1, Math.round(base * width));
const half = (
  s: [number, number],
): [number, number] => [Math.floor(s[0] / 2), Math.floor(s[1] / 2)];

/** MLP: fp 784->256, two binarized 256->256, fp head. */
const mlp: Builder = (k, { inputShape, numClasses, width }) => {
  const d = inputShape.reduce((a, b) => a * b, 1);
  const h = ch(256, width);
  return new Sequential([
    new Flatten(),
    k.dense(d, h, true),
    k.bn(h),
    k.act,
    k.dense(h, h),
    k.bn(h),
    k.act,
    k.dense(h, h),
    k.bn(h),
    k.act,
    k.dense(h, numClasses, true),
  ]);
};

/**
 * VGG-small (the reference's CIFAR VGG-small, narrowed): fp stem, then binarized conv pairs with
 * max-pooling, 16-32-64 channels, flattened into an fp head.
 */
const vggSmall: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const [c1, c2, c3] = [ch(16, width), ch(32, width), ch(64, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], c1, s, { fp: true })];
  layers.push(...k.convBlock(c1, c1, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c1, c2, s));
  layers.push(...k.convBlock(c2, c2, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c2, c3, s));
  layers.push(...k.convBlock(c3, c3, s, { pool: true }));
  s = half(s);
  layers.push(new Flatten(), k.dense(s[0] * s[1] * c3, numClasses, true));
  return new Sequential(layers);
};

/**
 * The task-track CNN: VGG-small's pattern moved to 14x14 right after an fp stem with
 * max-pooling, so no binarized layer runs at full 28x28 resolution (the wasm step time is
 * dominated by per-element work at 28x28), 32-32-64-64 binarized channels, fp head.
 */
const cnn: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const [c0, c1, c2] = [ch(16, width), ch(32, width), ch(64, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], c0, s, { fp: true, pool: true })];
  s = half(s);
  layers.push(...k.convBlock(c0, c1, s));
  layers.push(...k.convBlock(c1, c1, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c1, c2, s));
  layers.push(...k.convBlock(c2, c2, s, { pool: true }));
  s = half(s);
  layers.push(new Flatten(), k.dense(s[0] * s[1] * c2, numClasses, true));
  return new Sequential(layers);
};

/**
 * ResNet-20 layout (3 stages x 3 basic blocks, stride-2 stage entries) with narrow channels
 * 8-16-32; fp stem, fp 1x1 downsample shortcuts, global average pooling and an fp head.
 */
const resnet20: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const widths = [ch(8, width), ch(16, width), ch(32, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], widths[0], s, { fp: true })];
  let cin = widths[0];
  widths.forEach((cout, stage) => {
    for (let block = 0; block < 3; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const conv1 = k.conv(cin, cout, s, { stride });
      const s2: [number, number] = [Math.ceil(s[0] / stride), Math.ceil(s[1] / stride)];
      const body = new Sequential([conv1, k.bn(cout), k.act, k.conv(cout, cout, s2), k.bn(cout)]);
      const shortcut = stride !== 1 || cin !== cout
        ? new Sequential([k.conv(cin, cout, s, { fp: true, stride, kernel: 1 }), k.bn(cout)])
        : null;
      layers.push(new Residual(body, shortcut, k.act));
      cin = cout;
      s = s2;
    }
  });
  layers.push(new GlobalAvgPool(), k.dense(cin, numClasses, true));
  return new Sequential(layers);
};

const builders: Record<string, Builder> = { mlp, cnn, "vgg-small": vggSmall, resnet20 };

/** Registers a model builder (models defined in their own modules call this). */
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
