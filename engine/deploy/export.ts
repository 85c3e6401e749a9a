/**
 * Export: lowers a trained network (the engine's layer tree, evaluation mode) to the operations
 * of a deployed model file (format.ts), folding everything per-channel into as few passes as
 * possible while keeping the training forward's semantics.
 *
 * What each binarizer becomes (docs/binarizers.md, "What deployment costs"):
 * - binarized conv / dense = XNOR-popcount dot of sign(input) and sign(weights) (sign(0) = +1, as
 *   binarizers/ops.ts `sign`). The signs and the per-output-channel weight scale are read from the
 *   binarizer's own eval-mode weights (`weights()` must give ±s[c] per channel: mean_c|w| for
 *   xnor / dorefa / bireal / react / fda, 1 for bnn / xnorpp / recu — recu's standardised and
 *   clamped weights are transformed by its own code before the sign is taken);
 * - learnable output scales (recu alpha[c], xnorpp alpha[c] on dense layers) fold into that
 *   scale; xnorpp's spatial map alpha[c] beta[h] gamma[w] on convs stays a float multiply per
 *   output element ("generic" epilogue);
 * - conv / dense bias, the following BatchNorm, a 2x2 max pool (monotone: pooling the signs with
 *   AND / OR is exact), hardtanh and the next layer's sign with react's threshold t[c_in]
 *   (sign(hardtanh(v) + t) = [hardtanh(v) >= -t]) fold into one integer threshold per channel;
 * - xnor's activation scale mean|x| per sample is computed at run time over the float input
 *   (`pack` with meanAbs) and multiplies every output ("generic" epilogue), so xnor layers keep
 *   float outputs;
 * - residual adds, global average pooling and the full-precision stem / head / 1x1 shortcuts stay
 *   float (BatchNorm folded into the full-precision conv before them when it follows directly).
 * The eval-mode activations are probed and compared with what the deployment computes; a
 * binarizer whose forward does not fit (e.g. fda before its noise term decayed) is refused.
 */
import { tf } from "../tf.ts";
import { UserError } from "../errors.ts";
import type { BinarizerContext } from "../binarizers/mod.ts";
import { sign } from "../binarizers/ops.ts";
import {
  Activation,
  BatchNorm,
  Conv2D,
  Dense,
  type Layer,
  Residual,
  Sequential,
} from "../nn/layers.ts";
import type { Model } from "../nn/model.ts";
import {
  type Act,
  type BinEpilogue,
  type DeployHeader,
  type DeployOp,
  encodeDeployed,
} from "./format.ts";

const f32 = Math.fround;

/** A binarized layer's deployable arithmetic. */
interface BinInfo {
  layer: Conv2D | Dense;
  /** ±1 weights, [cout, k, k, cin] (conv) or [cout, in] (dense). */
  signs: Float32Array;
  /** Weight scale times a per-channel output scale (conv bias excluded). */
  A: Float64Array;
  /** Bias added after the scales (0 when the layer has none). */
  b0: Float64Array;
  spatial?: { alpha: Float32Array; beta: Float32Array; gamma: Float32Array };
  sampleScale: boolean;
  /** react: the threshold t[c_in] of this layer's input. */
  threshold?: Float32Array;
}

type Src =
  | { kind: "float"; id: number }
  | { kind: "fp"; layer: Conv2D | Dense; in: number }
  | { kind: "bin"; info: BinInfo; in: number };

/** The current value: a source, then an optional pool, per-channel affine (G, H) and act. */
interface Pending {
  src: Src;
  pool: boolean;
  G: Float64Array | null;
  H: Float64Array | null;
  act: Act;
}

const floatPending = (id: number): Pending => ({
  src: { kind: "float", id },
  pool: false,
  G: null,
  H: null,
  act: "none",
});

function data(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

function actOf(fn: string): Act {
  if (fn === "relu" || fn === "hardtanh") return fn;
  throw new UserError(`cannot deploy activation "${fn}"`);
}

/** Lowers one model; see the module doc. */
class Lowering {
  readonly ops: DeployOp[] = [];
  readonly f32 = new Map<string, Float32Array>();
  readonly bits = new Map<string, Float32Array>();
  #next = 1;

  constructor(readonly ctx: BinarizerContext) {}

  value(): number {
    return this.#next++;
  }

  tensor(name: string, v: ArrayLike<number>): string {
    if (this.f32.has(name)) throw new Error(`duplicate tensor ${name}`);
    this.f32.set(name, Float32Array.from(v));
    return name;
  }

  bitsTensor(name: string, v: Float32Array): string {
    this.bits.set(name, v);
    return name;
  }

  get prefix(): string {
    return `op${this.ops.length}`;
  }

  lower(layer: Layer, p: Pending): Pending {
    if (layer instanceof Sequential) {
      for (const l of layer.layers) p = this.lower(l, p);
      return p;
    }
    if (layer instanceof Conv2D || layer instanceof Dense) {
      if (layer.binarizer.binary) {
        const info = binInfo(layer, this.ctx);
        const input = this.bitsFor(p, info);
        return {
          src: { kind: "bin", info, in: input },
          pool: false,
          G: null,
          H: null,
          act: "none",
        };
      }
      return {
        src: { kind: "fp", layer, in: this.materialize(p) },
        pool: false,
        G: null,
        H: null,
        act: "none",
      };
    }
    if (layer instanceof BatchNorm) {
      if (p.act !== "none") p = floatPending(this.materialize(p));
      const [gamma, beta, mean, vr] = [layer.gamma, layer.beta, layer.movingMean, layer.movingVar]
        .map(data);
      const c = gamma.length;
      const G = new Float64Array(c), H = new Float64Array(c);
      for (let i = 0; i < c; i++) {
        const g = gamma[i] / Math.sqrt(vr[i] + layer.epsilon);
        const h = beta[i] - mean[i] * g;
        G[i] = (p.G?.[i] ?? 1) * g;
        H[i] = (p.H?.[i] ?? 0) * g + h;
      }
      return { ...p, G, H };
    }
    if (layer instanceof Activation) {
      if (p.act !== "none") p = floatPending(this.materialize(p));
      return { ...p, act: actOf(layer.fn) };
    }
    if (layer.kind === "maxpool") {
      if (p.pool || p.G || p.act !== "none") p = floatPending(this.materialize(p));
      return { ...p, pool: true };
    }
    if (layer.kind === "gap" || layer.kind === "flatten") {
      const id = this.materialize(p);
      const out = this.value();
      this.ops.push({ op: layer.kind, in: id, out });
      return floatPending(out);
    }
    if (layer instanceof Residual) {
      const x = this.materialize(p);
      const a = this.materialize(this.lower(layer.body, floatPending(x)));
      const b = layer.shortcut ? this.materialize(this.lower(layer.shortcut, floatPending(x))) : x;
      const out = this.value();
      this.ops.push({ op: "add", a, b, out, act: actOf(layer.act.fn) });
      return floatPending(out);
    }
    throw new UserError(`cannot deploy layer kind "${layer.kind}"`);
  }

  /**
   * The pack tail (ps, pb) giving bit = u*ps + pb < 0 for sign(act(u*G + H) + t), or, with
   * `affine` false, bit = v*ps + pb < 0 for sign(act(v) + t) (the generic epilogue applies G, H).
   */
  #tail(
    p: Pending,
    c: number,
    tau: Float32Array | undefined,
    affine = true,
  ): [Float64Array, Float64Array] {
    const ps = new Float64Array(c), pb = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      const g = affine ? p.G?.[i] ?? 1 : 1, h = affine ? p.H?.[i] ?? 0 : 0;
      const t = tau ? -tau[i] : 0; // compare act(v) >= -t
      let constant: number | null = null;
      if (p.act === "hardtanh") {
        if (t <= -1) constant = 1;
        else if (t > 1) constant = -1;
      } else if (p.act === "relu" && t <= 0) constant = 1;
      if (constant !== null) {
        ps[i] = 0;
        pb[i] = constant;
      } else {
        ps[i] = g;
        pb[i] = h - t;
      }
    }
    return [ps, pb];
  }

  /** Packed signs of the pending value, as the binarized layer `to` binarizes its input. */
  bitsFor(p: Pending, to: BinInfo): number {
    if (to.layer.binarizer.deploy.runtimeActivationScale) {
      const id = this.materialize(p);
      const c = channelsOf(to.layer);
      const out = this.value();
      const pre = this.prefix;
      this.ops.push({
        op: "pack",
        in: id,
        out,
        ps: this.tensor(`${pre}.ps`, new Float32Array(c).fill(1)),
        pb: this.tensor(`${pre}.pb`, new Float32Array(c)),
        meanAbs: true,
      });
      return out;
    }
    const c = channelsOf(to.layer);
    if (p.src.kind === "bin") {
      const generic = !!p.src.info.spatial || p.src.info.sampleScale;
      const [ps, pb] = this.#tail(p, c, to.threshold, !generic);
      return this.#emitBin(p, "bits", ps, pb);
    }
    // The source unpooled: a pool before the affine is done on the packed signs (AND / OR).
    const id = this.#materializeSource({ ...p, pool: false });
    const [ps, pb] = this.#tail(p, c, to.threshold);
    const out = this.value();
    const pre = this.prefix;
    this.ops.push({
      op: "pack",
      in: id,
      out,
      ps: this.tensor(`${pre}.ps`, ps),
      pb: this.tensor(`${pre}.pb`, pb),
      meanAbs: false,
      ...(p.pool
        ? {
          pool: true,
          poolMin: this.bitsTensor(
            `${pre}.poolMin`,
            Float32Array.from(ps, (g) => (g < 0 ? -1 : 1)),
          ),
        }
        : {}),
    });
    return out;
  }

  /** Emits the source and its pool only (the affine and act are left for the consumer). */
  #materializeSource(p: Pending): number {
    if (p.src.kind === "bin") throw new Error("unreachable");
    let id = p.src.kind === "float"
      ? p.src.id
      : this.#emitFp(p.src.layer, p.src.in, null, null, "none");
    if (p.pool) {
      const out = this.value();
      this.ops.push({ op: "maxpool", in: id, out });
      id = out;
    }
    return id;
  }

  /** The pending value as a float value id. */
  materialize(p: Pending): number {
    const s = p.src;
    if (s.kind === "bin") return this.#emitBin(p, "float");
    if (s.kind === "fp" && !p.pool) return this.#emitFp(s.layer, s.in, p.G, p.H, p.act);
    if (s.kind === "fp" && p.G && p.G.every((g) => g > 0)) {
      // BatchNorm with a positive slope commutes with the max pool: fold it into the conv.
      const id = this.#emitFp(s.layer, s.in, p.G, p.H, p.act);
      const out = this.value();
      this.ops.push({ op: "maxpool", in: id, out });
      return out;
    }
    let id = this.#materializeSource(p);
    if (p.G || p.act !== "none") {
      const out = this.value();
      const pre = this.prefix;
      this.ops.push({
        op: "affine",
        in: id,
        out,
        ...(p.G
          ? {
            scale: this.tensor(`${pre}.scale`, p.G),
            bias: this.tensor(`${pre}.bias`, p.H!),
          }
          : {}),
        act: p.act,
      });
      id = out;
    }
    return id;
  }

  #emitFp(
    layer: Conv2D | Dense,
    input: number,
    G: Float64Array | null,
    H: Float64Array | null,
    act: Act,
  ): number {
    const w = data(layer.kernel);
    const cout = layer instanceof Conv2D ? layer.opts.outChannels : layer.opts.outFeatures;
    const b0 = layer.bias ? data(layer.bias) : null;
    const wf = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) wf[i] = G ? w[i] * G[i % cout] : w[i];
    let bias: Float64Array | null = null;
    if (b0 || H) {
      bias = new Float64Array(cout);
      for (let c = 0; c < cout; c++) bias[c] = (b0?.[c] ?? 0) * (G?.[c] ?? 1) + (H?.[c] ?? 0);
    }
    const out = this.value();
    const pre = this.prefix;
    const wName = this.tensor(`${pre}.w`, wf);
    const bName = bias ? this.tensor(`${pre}.b`, bias) : undefined;
    if (layer instanceof Conv2D) {
      this.ops.push({
        op: "conv",
        in: input,
        out,
        w: wName,
        ...(bName ? { b: bName } : {}),
        k: layer.opts.kernel,
        stride: layer.stride,
        cin: layer.opts.inChannels,
        cout,
        act,
      });
    } else {
      this.ops.push({
        op: "dense",
        in: input,
        out,
        w: wName,
        ...(bName ? { b: bName } : {}),
        cin: layer.opts.inFeatures,
        cout,
        act,
      });
    }
    return out;
  }

  /** Emits a binarized layer with its epilogue. `ps`/`pb`: the pack tail for bits output. */
  #emitBin(p: Pending, out: "bits" | "float", ps?: Float64Array, pb?: Float64Array): number {
    const s = p.src as Extract<Src, { kind: "bin" }>;
    const info = s.info;
    const L = info.layer;
    const cout = info.A.length;
    const pre = this.prefix;
    const generic = !!info.spatial || info.sampleScale;
    const epi: BinEpilogue = { mode: generic ? "generic" : "fused", out };
    if (p.pool) {
      if (!(L instanceof Conv2D)) throw new UserError("cannot deploy a pool after a dense layer");
      epi.pool = true;
    }
    if (out === "float") epi.act = p.act;
    if (generic) {
      epi.A = this.tensor(`${pre}.A`, info.A);
      epi.b0 = this.tensor(`${pre}.b0`, info.b0);
      epi.G = this.tensor(`${pre}.G`, p.G ?? new Float64Array(cout).fill(1));
      epi.H = this.tensor(`${pre}.H`, p.H ?? new Float64Array(cout));
      if (info.spatial) {
        epi.spatial = {
          alpha: this.tensor(`${pre}.alpha`, info.spatial.alpha),
          beta: this.tensor(`${pre}.beta`, info.spatial.beta),
          gamma: this.tensor(`${pre}.gamma`, info.spatial.gamma),
        };
      }
      if (info.sampleScale) epi.sampleScale = true;
      if (out === "bits") {
        epi.ps = this.tensor(`${pre}.ps`, ps!);
        epi.pb = this.tensor(`${pre}.pb`, pb!);
      }
    } else {
      // Fold u = d*A + b0 -> (pool) -> float: v = u*G + H; bits: u*ps + pb (tail of u).
      const S = new Float64Array(cout), B = new Float64Array(cout);
      const slope = new Float64Array(cout); // after the pool
      for (let c = 0; c < cout; c++) {
        const g = out === "bits" ? ps![c] : p.G?.[c] ?? 1;
        const h = out === "bits" ? pb![c] : p.H?.[c] ?? 0;
        S[c] = info.A[c] * g;
        B[c] = info.b0[c] * g + h;
        slope[c] = g;
      }
      epi.S = this.tensor(`${pre}.S`, S);
      epi.B = this.tensor(`${pre}.B`, B);
      if (p.pool) {
        epi.poolMin = this.bitsTensor(
          `${pre}.poolMin`,
          Float32Array.from(slope, (g) => (g < 0 ? -1 : 1)),
        );
      }
    }
    const wName = this.bitsTensor(`${pre}.w`, info.signs);
    const id = this.value();
    if (L instanceof Conv2D) {
      this.ops.push({
        op: "bconv",
        in: s.in,
        out: id,
        w: wName,
        k: L.opts.kernel,
        stride: L.stride,
        cin: L.opts.inChannels,
        cout,
        epi,
      });
    } else {
      this.ops.push({
        op: "bdense",
        in: s.in,
        out: id,
        w: wName,
        cin: L.opts.inFeatures,
        cout,
        epi,
      });
    }
    return id;
  }
}

function channelsOf(l: Conv2D | Dense): number {
  return l instanceof Conv2D ? l.opts.inChannels : l.opts.inFeatures;
}

/** Reads a binarized layer's deployable arithmetic from its binarizer (eval mode). */
function binInfo(layer: Conv2D | Dense, ctx: BinarizerContext): BinInfo {
  const b = layer.binarizer;
  const where = `layer ${layer.opts.name} (${b.name})`;
  const cout = layer.shape.outChannels, cin = layer.shape.inChannels;
  const wb = tf.tidy(() => b.weights(layer.kernel, layer.extra, ctx, layer.shape));
  const w = data(wb);
  wb.dispose();
  const per = w.length / cout; // taps * cin (HWIO / [in, out]: channel is the fastest axis)
  const signs = new Float32Array(w.length);
  const A = new Float64Array(cout);
  for (let c = 0; c < cout; c++) A[c] = Math.abs(w[c]);
  for (let j = 0; j < per; j++) {
    for (let c = 0; c < cout; c++) {
      const v = w[j * cout + c];
      if (Math.abs(v) !== A[c]) {
        throw new UserError(
          `${where}: binarized weights are not ±scale per output channel; cannot deploy`,
        );
      }
      signs[c * per + j] = v < 0 ? -1 : 1; // OHWI / [out, in]
    }
  }
  const b0 = new Float64Array(cout);
  if (layer.bias) data(layer.bias).forEach((v, c) => (b0[c] = v));
  let spatial: BinInfo["spatial"];
  if (b.output) {
    const conv = layer instanceof Conv2D;
    const [oh, ow] = conv ? layer.outSpatial : [1, 1];
    const probe = tf.tidy(() =>
      b.output!(tf.ones(conv ? [1, oh, ow, cout] : [1, cout]), layer.extra, ctx, layer.shape)
    );
    const m = data(probe);
    probe.dispose();
    if (b.deploy.spatialOutputScale && conv) {
      const [alpha, beta, gamma] = ["alpha", "beta", "gamma"].map((k) => {
        if (!layer.extra[k]) throw new UserError(`${where}: no "${k}" parameter; cannot deploy`);
        return data(layer.extra[k]);
      });
      for (let i = 0; i < m.length; i++) {
        const c = i % cout, x = Math.floor(i / cout) % ow, y = Math.floor(i / (cout * ow));
        if (f32(f32(beta[y] * gamma[x]) * alpha[c]) !== m[i]) {
          throw new UserError(`${where}: output scale is not alpha[c]*beta[h]*gamma[w]`);
        }
      }
      spatial = { alpha, beta, gamma };
    } else {
      for (let i = 0; i < m.length; i++) {
        if (m[i] !== m[i % cout]) {
          throw new UserError(`${where}: output scale varies over positions; cannot deploy`);
        }
      }
      for (let c = 0; c < cout; c++) A[c] *= m[c];
    }
  }
  const threshold = b.deploy.inputThreshold ? thresholdOf(layer, where) : undefined;
  probeActivations(layer, ctx, cin, threshold, where);
  return { layer, signs, A, b0, spatial, sampleScale: b.deploy.runtimeActivationScale, threshold };
}

function thresholdOf(layer: Conv2D | Dense, where: string): Float32Array {
  const t = layer.extra.t;
  if (!t) throw new UserError(`${where}: input threshold parameter "t" missing; cannot deploy`);
  return data(t);
}

/**
 * Checks that the binarizer's eval-mode activations are what the deployment computes: sign(x)
 * (sign(0) = +1), sign(x + t) with react's threshold, or sign(x) * mean|x| per sample for xnor.
 */
function probeActivations(
  layer: Conv2D | Dense,
  ctx: BinarizerContext,
  cin: number,
  threshold: Float32Array | undefined,
  where: string,
): void {
  const b = layer.binarizer;
  const shape = layer instanceof Conv2D ? [2, 3, 3, cin] : [2, cin];
  const n = shape.reduce((a, v) => a * v, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i % 7 === 0 ? 0 : Math.sin(i * 12.9898) * 1.5;
  const [got, want] = tf.tidy(() => {
    const xt = tf.tensor(x, shape);
    const g = b.activations(xt, layer.extra, ctx, layer.shape);
    let w = sign(threshold ? tf.add(xt, tf.tensor1d(threshold)) : xt);
    if (b.deploy.runtimeActivationScale) {
      w = tf.mul(w, tf.mean(tf.abs(xt), [...Array(shape.length).keys()].slice(1), true));
    }
    return [data(g), data(w)];
  });
  for (let i = 0; i < n; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-6 * Math.max(1, Math.abs(want[i]))) {
      throw new UserError(
        `${where}: eval-mode activations are not the deployable sign form ` +
          `(is a training-only term still active?); cannot deploy`,
      );
    }
  }
}

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** Binarizer schedule state of evaluation (train.ts `finalState`). */
  state?: Record<string, number>;
}

/** Lowers a model (evaluation mode) to a deployed-model header and its tensors. */
export function lowerModel(model: Model, opts: ExportOptions = {}): {
  header: Omit<DeployHeader, "tensors">;
  f32: Map<string, Float32Array>;
  bits: Map<string, Float32Array>;
} {
  const low = new Lowering({ training: false, state: opts.state ?? {} });
  const out = low.materialize(low.lower(model.root, floatPending(0)));
  return {
    header: {
      format: "bibench-deploy",
      version: 1,
      model: model.name,
      binarizer: model.binarizer,
      inputShape: model.inputShape,
      numClasses: model.numClasses,
      output: out,
      ops: low.ops,
    },
    f32: low.f32,
    bits: low.bits,
  };
}

/** Exports a model to the bytes of a deployed-model file (format.ts). */
export function exportModel(model: Model, opts: ExportOptions = {}): Uint8Array {
  return encodeDeployed(lowerModel(model, opts));
}
