/**
 * The inference runtime of deployed-model files (format.ts).
 *
 * - Binarized conv / dense layers run on the bit-packed WebAssembly SIMD kernels (../kernels,
 *   the `lut` family by default): weights are unpacked once at load, laid out and kept resident
 *   in the kernels' memory; activations stay packed between binarized layers, the fused integer
 *   thresholds producing the next layer's input bits directly (max pooling of bits is an AND /
 *   OR of words, `pool_bits`).
 * - Full-precision ops (stem / head convs and dense layers, 1x1 shortcuts) run on tfjs-wasm, the
 *   same backend and the same fused ops (conv2d + bias + relu) as the full-precision baseline,
 *   except a stride-1 stem conv feeding a sign pack, which runs fused with it on the kernels
 *   (`convF32Pack`: the float map is never stored), and, in a binarized network, a dense layer
 *   whose input is already a float array (the head: `denseF32`, XNNPACK's summation order, the
 *   same logits bit for bit without a round trip through tfjs tensors). The full-precision
 *   baseline (no binarized op) stays entirely on tfjs.
 * - Per-layer set-up happens once at load: fused binarized convs get a resident `ConvPlan`
 *   (thresholds per border class, scratch), so a run builds no table (batch 1 is dominated by
 *   such fixed costs otherwise). `unplanned: true` keeps the former path, for comparisons.
 * - The float glue between them — packing signs, the generic epilogue of xnor / xnorpp, pooling
 *   float outputs — runs on the kernels' float glue functions when the channel count allows
 *   (a multiple of 4), else as plain TypeScript over typed arrays (as do residual adds and global
 *   average pooling).
 *
 * A run allocates its packed activations from the kernels' bump allocator and releases them at
 * the end, so repeated runs reuse the same memory.
 */
import { tf } from "../tf.ts";
import { UserError } from "../errors.ts";
import {
  BinaryKernels,
  type ConvPlan,
  type KernelFamily,
  type PreparedConv,
  type PreparedDense,
} from "../kernels/wasm.ts";
import { type PackedNHWC, type PackedRows, packOHWI, packRows, wordsFor } from "../kernels/pack.ts";
import { convGeometry } from "../kernels/geometry.ts";
import type { Act, BinEpilogue, DeployedModel, DeployHeader, DeployOp } from "./format.ts";
import { decodeDeployed } from "./format.ts";

const f32 = Math.fround;

/** Shape of one sample of a value: [h, w, c] or [features]. */
type Shape = number[];

type Value =
  | { t: "tensor"; tensor: tf.Tensor; shape: Shape }
  /** Floats; `resident`: a view of kernel memory (re-obtained before use, see `#array`). */
  | { t: "array"; data: Float32Array; shape: Shape; resident?: boolean }
  | { t: "bits"; data: Uint32Array; stride: number; shape: Shape; meanAbs?: Float32Array };

interface PreparedEpilogue {
  e: BinEpilogue;
  S?: Float32Array;
  B?: Float32Array;
  A?: Float32Array;
  b0?: Float32Array;
  G?: Float32Array;
  H?: Float32Array;
  ps?: Float32Array;
  pb?: Float32Array;
  /** generic xnorpp: the full map [oh, ow, cout]. */
  map?: Float32Array;
  /** fused pool: per output word, the channels that take min / OR. */
  minWords?: Uint32Array;
  minChannel?: Uint8Array;
}

type Prepared =
  | {
    op: Extract<DeployOp, { op: "conv" }>;
    w: tf.Tensor4D;
    b?: tf.Tensor1D;
    /** Computed inside the `pack` that consumes it (see `fused` below). */
    skip?: boolean;
  }
  | {
    op: Extract<DeployOp, { op: "dense" }>;
    w: tf.Tensor2D;
    b?: tf.Tensor1D;
    /**
     * In a binarized network, the head on the float glue kernel (dense_f32) when its input is
     * already a float array: weights `[cin][cp]` and bias padded to `cp` columns, resident.
     */
    onKernels?: { w: Float32Array; b: Float32Array; cp: number };
  }
  | { op: Extract<DeployOp, { op: "affine" }>; scale?: Float32Array; bias?: Float32Array }
  | {
    op: Extract<DeployOp, { op: "pack" }>;
    ps: Float32Array;
    pb: Float32Array;
    stride: number;
    inShape: Shape;
    minWords?: Uint32Array;
    /**
     * The producing full-precision conv (stride 1, cout a multiple of 16, used only here) runs
     * fused with the pack on the float glue kernel (conv_f32_pack16): the float map is never
     * stored. Weights, bias, ps, pb resident in the kernels' memory.
     */
    fused?: {
      src: number;
      srcShape: Shape;
      k: number;
      cout: number;
      w: Float32Array;
      b: Float32Array;
      ps: Float32Array;
      pb: Float32Array;
    };
  }
  | {
    op: Extract<DeployOp, { op: "bconv" }>;
    w: PreparedConv;
    epi: PreparedEpilogue;
    inShape: Shape;
    dotShape: Shape;
    /** Fused outputs: tables built and resident once (`planConv`), none built per call. */
    plan?: ConvPlan;
  }
  | { op: Extract<DeployOp, { op: "bdense" }>; w: PreparedDense; epi: PreparedEpilogue }
  | { op: Extract<DeployOp, { op: "maxpool" | "flatten" | "gap" | "add" }> };

/** Options of {@link DeployRuntime.load}. */
export interface RuntimeOptions {
  /** Kernel family of the binarized layers (default "lut"). */
  kernel?: KernelFamily;
  /** Share one loaded kernel instance (its memory) between runtimes. */
  kernels?: BinaryKernels;
  /**
   * The unplanned path, for comparisons: no conv plans (tables built per call), the full-precision
   * head on tfjs (as before issue 15). Same predictions; slower at batch 1.
   */
  unplanned?: boolean;
}

/** Time spent per op kind in the last profiled run (milliseconds). */
export type Profile = Record<string, number>;

/** A loaded deployed model, ready to run batches. */
export class DeployRuntime {
  readonly header: DeployHeader;
  /** Bytes of the model file it was loaded from. */
  readonly fileBytes: number;
  readonly #k: BinaryKernels;
  readonly #prepared: Prepared[];
  readonly #shapes: Map<number, Shape>;
  readonly #kernel: KernelFamily;
  readonly #unplanned: boolean;
  /** Set by `run(..., { profile: true })`. */
  lastProfile: Profile = {};
  /** Set by `run(..., { profile: true })`: milliseconds per op, in order, with its shapes. */
  lastOpProfile: { op: string; ms: number }[] = [];
  /** Kernel memory a run of each batch size used (bytes). */
  readonly #peak = new Map<number, number>();

  private constructor(
    model: DeployedModel,
    fileBytes: number,
    k: BinaryKernels,
    opts: RuntimeOptions,
  ) {
    this.header = model.header;
    this.fileBytes = fileBytes;
    this.#k = k;
    this.#kernel = opts.kernel ?? "lut";
    this.#unplanned = opts.unplanned ?? false;
    this.#shapes = inferShapes(model.header);
    this.#prepared = model.header.ops.map((op) => this.#prepare(op, model));
    for (const p of this.#prepared) {
      if (p.op.op === "pack" && "fused" in p && p.fused) {
        const src = (p as { op: { in: number } }).op.in;
        const conv = this.#prepared.find((q) => q.op.out === src);
        if (conv && conv.op.op === "conv") (conv as { skip?: boolean }).skip = true;
      }
    }
  }

  /** Loads a model file's bytes (or an already decoded model). */
  static async load(
    bytes: Uint8Array,
    opts: RuntimeOptions = {},
  ): Promise<DeployRuntime> {
    const model = decodeDeployed(bytes);
    const k = opts.kernels ?? await BinaryKernels.load();
    return new DeployRuntime(model, bytes.length, k, opts);
  }

  /** Releases the full-precision weight tensors (kernel memory belongs to the kernels). */
  dispose(): void {
    for (const p of this.#prepared) {
      if ((p.op.op === "conv" || p.op.op === "dense") && "w" in p) {
        (p.w as tf.Tensor).dispose();
        (p as { b?: tf.Tensor }).b?.dispose();
      }
    }
  }

  #tensor(m: DeployedModel, name: string | undefined): Float32Array {
    if (name === undefined) throw new UserError("model file: missing tensor reference");
    const t = m.f32.get(name);
    if (!t) throw new UserError(`model file: tensor ${name} missing`);
    return t;
  }

  #prepare(op: DeployOp, m: DeployedModel): Prepared {
    const shapeIn = (id: number) => this.#shapes.get(id)!;
    switch (op.op) {
      case "conv": {
        const w = tf.tensor4d(this.#tensor(m, op.w), [op.k, op.k, op.cin, op.cout]);
        const b = op.b ? tf.tensor1d(this.#tensor(m, op.b)) : undefined;
        return { op, w, b };
      }
      case "dense": {
        const wv = this.#tensor(m, op.w), bv = op.b ? this.#tensor(m, op.b) : undefined;
        const w = tf.tensor2d(wv, [op.cin, op.cout]);
        const b = bv ? tf.tensor1d(bv) : undefined;
        // The full-precision baseline (no binarized op) stays on tfjs.
        const binarized = this.header.ops.some((o) => o.op === "bconv" || o.op === "bdense");
        if (!binarized || this.#unplanned) {
          return { op, w, b };
        }
        const cp = Math.ceil(op.cout / 4) * 4;
        const kw0 = this.#k.residentF32(op.cin * cp), kb = this.#k.residentF32(cp);
        // The second allocation may grow memory, which detaches the first view.
        const kw = this.#k.refresh(kw0);
        for (let i = 0; i < op.cin; i++) {
          kw.set(wv.subarray(i * op.cout, (i + 1) * op.cout), i * cp);
        }
        if (bv) kb.set(bv);
        return { op, w, b, onKernels: { w: kw, b: kb, cp } };
      }
      case "affine":
        return {
          op,
          scale: op.scale ? this.#tensor(m, op.scale) : undefined,
          bias: op.bias ? this.#tensor(m, op.bias) : undefined,
        };
      case "pack": {
        const inShape = shapeIn(op.in);
        const c = inShape.at(-1)!;
        // Rows for a dense consumer (4-word aligned), NHWC pixels (tight) for a conv.
        const stride = inShape.length === 1 ? wordsFor(c, 4) : wordsFor(c);
        let minWords: Uint32Array | undefined;
        if (op.pool) {
          minWords = new Uint32Array(wordsFor(c));
          const mins = op.poolMin ? m.bits.get(op.poolMin) : undefined;
          for (let ch = 0; ch < c; ch++) {
            if (mins && mins[ch] < 0) minWords[ch >>> 5] |= 1 << (ch & 31);
          }
        }
        const ps = this.#tensor(m, op.ps), pb = this.#tensor(m, op.pb);
        return { op, ps, pb, stride, inShape, minWords, fused: this.#fuseStem(op, m, ps, pb) };
      }
      case "bconv": {
        const signs = m.bits.get(op.w);
        if (!signs) throw new UserError(`model file: tensor ${op.w} missing`);
        const w = this.#k.prepareConv(packOHWI(signs, op.cout, op.k, op.k, op.cin, 4));
        const inShape = shapeIn(op.in);
        const g = convGeometry(inShape[0], inShape[1], op.k, op.k, {
          stride: op.stride,
          padding: "same",
        });
        const dotShape = [g.oh, g.ow, op.cout];
        const epi = this.#epilogue(op.epi, m, op.cout, dotShape);
        const plan = this.#kernel === "lut" && op.epi.mode === "fused" && !this.#unplanned
          ? this.#k.planConv(
            inShape[0],
            inShape[1],
            w,
            {
              stride: op.stride,
              padding: "same",
            },
            op.epi.out === "bits" ? 2 : 1,
            epi.S!,
            epi.B!,
          )
          : undefined;
        return { op, w, epi, inShape, dotShape, plan };
      }
      case "bdense": {
        const signs = m.bits.get(op.w);
        if (!signs) throw new UserError(`model file: tensor ${op.w} missing`);
        const w = this.#k.prepareDense(packRows(signs, op.cout, op.cin, 4));
        return { op, w, epi: this.#epilogue(op.epi, m, op.cout, [op.cout]) };
      }
      default:
        return { op } as Prepared;
    }
  }

  /** The conv a pack can compute itself (see `fused` of the prepared pack), if any. */
  #fuseStem(
    op: Extract<DeployOp, { op: "pack" }>,
    m: DeployedModel,
    ps: Float32Array,
    pb: Float32Array,
  ): Extract<Prepared, { op: { op: "pack" } }>["fused"] {
    const ops = this.header.ops;
    const conv = ops.find((o) => o.out === op.in);
    const uses =
      ops.filter((o) =>
        ("in" in o && o.in === op.in) || ("a" in o && (o.a === op.in || o.b === op.in))
      ).length + (this.header.output === op.in ? 1 : 0);
    if (
      conv?.op !== "conv" || conv.stride !== 1 || conv.act !== "none" || conv.cout % 16 !== 0 ||
      conv.k % 2 !== 1 || uses !== 1 || op.meanAbs
    ) return undefined;
    const k = this.#k;
    const resident = (v: Float32Array) => {
      const r = k.residentF32(v.length);
      r.set(v);
      return r;
    };
    return {
      src: conv.in,
      srcShape: this.#shapes.get(conv.in)!,
      k: conv.k,
      cout: conv.cout,
      w: resident(this.#tensor(m, conv.w)),
      b: resident(conv.b ? this.#tensor(m, conv.b) : new Float32Array(conv.cout)),
      ps: resident(ps),
      pb: resident(pb),
    };
  }

  #epilogue(e: BinEpilogue, m: DeployedModel, cout: number, dotShape: Shape): PreparedEpilogue {
    const t = (n: string | undefined) => (n === undefined ? undefined : this.#tensor(m, n));
    const p: PreparedEpilogue = { e, S: t(e.S), B: t(e.B), A: t(e.A), b0: t(e.b0) };
    p.G = t(e.G);
    p.H = t(e.H);
    p.ps = t(e.ps);
    p.pb = t(e.pb);
    if (e.spatial) {
      const [alpha, beta, gamma] = [e.spatial.alpha, e.spatial.beta, e.spatial.gamma].map((n) =>
        this.#tensor(m, n)
      );
      const [oh, ow] = dotShape;
      const map = new Float32Array(oh * ow * cout);
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          const bg = f32(beta[y] * gamma[x]);
          for (let c = 0; c < cout; c++) map[(y * ow + x) * cout + c] = f32(bg * alpha[c]);
        }
      }
      // The generic epilogue multiplies by one scale: fold a weight scale in (xnorpp has none).
      const A = p.A!;
      if (A.some((a) => a !== 1)) {
        for (let i = 0; i < map.length; i++) map[i] = f32(map[i] * A[i % cout]);
      }
      p.map = map;
    }
    if (e.poolMin) {
      const mins = m.bits.get(e.poolMin)!;
      const words = new Uint32Array(wordsFor(cout));
      const ch = new Uint8Array(cout);
      for (let c = 0; c < cout; c++) {
        if (mins[c] < 0) {
          words[c >>> 5] |= 1 << (c & 31);
          ch[c] = 1;
        }
      }
      p.minWords = words;
      p.minChannel = ch;
    } else if (e.pool) {
      p.minWords = new Uint32Array(wordsFor(cout));
      p.minChannel = new Uint8Array(cout);
    }
    return p;
  }

  /**
   * Runs a batch of `n` NHWC samples; returns the logits [n, classes]. `profile` records the time
   * per op kind in `lastProfile`.
   */
  run(
    x: Float32Array,
    n: number,
    opts: { profile?: boolean; trace?: (op: DeployOp, value: Float32Array | null) => void } = {},
  ): Float32Array {
    const inShape = this.header.inputShape;
    if (x.length !== n * inShape.reduce((a, b) => a * b, 1)) {
      throw new RangeError(`input has ${x.length} values, expected ${n}x${inShape.join("x")}`);
    }
    const k = this.#k;
    const mark = k.mark();
    // Memory the last run of this batch size needed: reserved up front so that nothing grows
    // (and detaches views) during the run.
    const peak = this.#peak.get(n);
    if (peak !== undefined) k.reserve(peak);
    const vals = new Map<number, Value>();
    const owned: tf.Tensor[] = [];
    const prof: Profile = {};
    const opProf: { op: string; ms: number }[] = [];
    vals.set(0, { t: "array", data: x, shape: [...inShape] });
    try {
      for (const p of this.#prepared) {
        const t0 = opts.profile ? performance.now() : 0;
        if ("skip" in p && p.skip) continue; // computed inside the pack that consumes it
        const out = this.#exec(p, vals, n, owned);
        vals.set(p.op.out, out);
        this.#peak.set(n, Math.max(this.#peak.get(n) ?? 0, k.mark() - mark + (1 << 20)));
        if (opts.trace) opts.trace(p.op, out.t === "bits" ? null : this.#array(out, n).slice());
        if (opts.profile) {
          if (out.t === "tensor") out.tensor.dataSync(); // wait for the backend
          const key = p.op.op === "bconv" || p.op.op === "bdense"
            ? `${p.op.op}-${p.op.epi.mode}-${p.op.epi.out}`
            : p.op.op;
          const ms = performance.now() - t0;
          prof[key] = (prof[key] ?? 0) + ms;
          opProf.push({ op: this.#label(p), ms });
        }
      }
      const out = this.#array(vals.get(this.header.output)!, n);
      if (opts.profile) {
        this.lastProfile = prof;
        this.lastOpProfile = opProf;
      }
      return out.slice();
    } finally {
      for (const t of owned) t.dispose();
      k.release(mark);
    }
  }

  /** An op with its per-sample shapes, for profiles: `bconv 14x14x16->14x14x32 bits`. */
  #label(p: Prepared): string {
    const op = p.op;
    const shape = (id: number) => this.#shapes.get(id)!.join("x");
    const src = "in" in op ? shape(op.in) : `${shape(op.a)}+${shape(op.b)}`;
    let what: string = op.op;
    if (op.op === "bconv" || op.op === "bdense") what += ` ${op.epi.mode}-${op.epi.out}`;
    if (op.op === "pack" && "fused" in p && p.fused) what += " (with the stem conv)";
    if (op.op === "dense" && "onKernels" in p && p.onKernels) what += " (kernels)";
    return `${what} ${op.op === "pack" && "fused" in p && p.fused ? shape(p.fused.src) : src}->${
      shape(op.out)
    }`;
  }

  /** Predicted classes of a batch. */
  predict(x: Float32Array, n: number): Uint8Array {
    return argmaxRows(this.run(x, n), this.header.numClasses);
  }

  #array(v: Value, n: number): Float32Array {
    if (v.t === "array") return v.resident ? this.#k.refresh(v.data) : v.data;
    if (v.t === "tensor") return v.tensor.dataSync() as Float32Array;
    throw new Error(`expected a float value, got bits (n=${n})`);
  }

  #tensorOf(v: Value, n: number, owned: tf.Tensor[]): tf.Tensor {
    if (v.t === "tensor") return v.tensor;
    const t = tf.tensor(this.#array(v, n), [n, ...v.shape]);
    owned.push(t);
    return t;
  }

  #exec(p: Prepared, vals: Map<number, Value>, n: number, owned: tf.Tensor[]): Value {
    const op = p.op;
    const get = (id: number) => {
      const v = vals.get(id);
      if (!v) throw new Error(`value ${id} used before it is computed`);
      return v;
    };
    const shape = this.#shapes.get(op.out)!;
    const keep = (t: tf.Tensor): Value => {
      owned.push(t);
      return { t: "tensor", tensor: t, shape };
    };
    switch (op.op) {
      case "conv": {
        const q = p as Extract<Prepared, { op: { op: "conv" } }>;
        const x = this.#tensorOf(get(op.in), n, owned) as tf.Tensor4D;
        let y: tf.Tensor = tf.fused.conv2d({
          x,
          filter: q.w,
          strides: op.stride,
          pad: "same",
          bias: q.b,
          activation: op.act === "relu" ? "relu" : "linear",
        });
        if (op.act === "hardtanh") {
          owned.push(y);
          y = tf.clipByValue(y, -1, 1);
        }
        return keep(y);
      }
      case "dense": {
        const q = p as Extract<Prepared, { op: { op: "dense" } }>;
        const v = get(op.in);
        if (q.onKernels && v.t === "array") {
          const { w, b, cp } = q.onKernels;
          const k = this.#k;
          const y = k.residentF32(n * cp);
          k.denseF32(this.#array(v, n), n, op.cin, k.refresh(w), cp, k.refresh(b), op.act, y);
          if (cp === op.cout) return { t: "array", data: y, shape, resident: true };
          const yv = k.refresh(y), data = new Float32Array(n * op.cout);
          for (let r = 0; r < n; r++) data.set(yv.subarray(r * cp, r * cp + op.cout), r * op.cout);
          return { t: "array", data, shape };
        }
        const x = this.#tensorOf(v, n, owned);
        const x2 = x.rank === 2 ? x as tf.Tensor2D : tf.reshape(x, [n, -1]) as tf.Tensor2D;
        if (x2 !== x) owned.push(x2);
        let y: tf.Tensor = tf.fused.matMul({
          a: x2,
          b: q.w,
          bias: q.b,
          activation: op.act === "relu" ? "relu" : "linear",
        });
        if (op.act === "hardtanh") {
          owned.push(y);
          y = tf.clipByValue(y, -1, 1);
        }
        return keep(y);
      }
      case "maxpool": {
        const v = get(op.in);
        if (v.t === "tensor") return keep(tf.maxPool(v.tensor as tf.Tensor4D, 2, 2, "valid"));
        const [ih, iw, c] = v.shape;
        return { t: "array", data: maxPool(this.#array(v, n), n, ih, iw, c, null), shape };
      }
      case "affine": {
        const q = p as Extract<Prepared, { op: { op: "affine" } }>;
        const v = get(op.in);
        const c = v.shape.at(-1)!;
        const src = this.#array(v, n);
        const out = new Float32Array(src.length);
        const { scale, bias } = q;
        for (let i = 0; i < src.length; i++) {
          const ch = i % c;
          out[i] = scale ? f32(f32(src[i] * scale[ch]) + bias![ch]) : src[i];
        }
        applyAct(out, op.act);
        return { t: "array", data: out, shape };
      }
      case "flatten": {
        const v = get(op.in);
        if (v.t === "tensor") return keep(tf.reshape(v.tensor, [n, -1]));
        if (v.t === "array") return { t: "array", data: v.data, shape };
        throw new UserError("cannot flatten packed bits");
      }
      case "gap": {
        const v = get(op.in);
        if (v.t === "tensor") return keep(tf.mean(v.tensor, [1, 2]));
        const [ih, iw, c] = v.shape;
        const src = this.#array(v, n);
        const out = new Float32Array(n * c);
        const acc = new Float32Array(c);
        for (let s = 0; s < n; s++) {
          acc.fill(0);
          for (let pix = 0; pix < ih * iw; pix++) {
            const base = (s * ih * iw + pix) * c;
            for (let ch = 0; ch < c; ch++) acc[ch] += src[base + ch];
          }
          for (let ch = 0; ch < c; ch++) out[s * c + ch] = acc[ch] / (ih * iw);
        }
        return { t: "array", data: out, shape };
      }
      case "add": {
        const a = get(op.a), b = get(op.b);
        if (a.t === "tensor" && b.t === "tensor") {
          const s = tf.add(a.tensor, b.tensor);
          if (op.act === "none") return keep(s);
          owned.push(s);
          return keep(op.act === "relu" ? tf.relu(s) : tf.clipByValue(s, -1, 1));
        }
        const x = this.#array(a, n), y = this.#array(b, n);
        const out = new Float32Array(x.length);
        for (let i = 0; i < x.length; i++) out[i] = x[i] + y[i];
        applyAct(out, op.act);
        return { t: "array", data: out, shape };
      }
      case "pack": {
        const q = p as Extract<Prepared, { op: { op: "pack" } }>;
        const k = this.#k;
        if (q.fused) {
          const f = q.fused;
          const [h, w, cin] = f.srcShape;
          const rows = n * h * w;
          let data = k.residentU32(rows * q.stride);
          const x = this.#array(get(f.src), n);
          k.convF32Pack(x, n, h, w, cin, f.k, f.w, f.cout, f.b, f.ps, f.pb, data);
          if (q.minWords) {
            const pooled = k.residentU32(n * shape[0] * shape[1] * q.stride);
            k.poolBits(data, n, h, w, q.stride, q.minWords, pooled);
            data = pooled;
          }
          return { t: "bits", data, stride: q.stride, shape };
        }
        const v = get(op.in);
        const src = this.#array(v, n);
        const c = v.shape.at(-1)!;
        const rows = src.length / c;
        let data = k.residentU32(rows * q.stride);
        k.packF32(src, rows, c, q.ps, q.pb, data, q.stride);
        if (q.minWords) {
          const [ih, iw] = q.inShape;
          const pooled = k.residentU32(n * shape[0] * shape[1] * q.stride);
          k.poolBits(data, n, ih, iw, q.stride, q.minWords, pooled);
          data = pooled;
        }
        // xnor: mean |x| per sample with a sequential float32 sum, the order tfjs-wasm's Mean
        // uses, so the scale equals the training forward's bit for bit (a float64 sum differs
        // by ~1e-5 and flips signs downstream).
        const meanAbs = op.meanAbs ? k.meanAbsF32(src, n, (rows * c) / n) : undefined;
        return { t: "bits", data, stride: q.stride, shape, meanAbs };
      }
      case "bconv":
        return this.#bconv(p as Extract<Prepared, { op: { op: "bconv" } }>, get(op.in), n, shape);
      case "bdense":
        return this.#bdense(p as Extract<Prepared, { op: { op: "bdense" } }>, get(op.in), n, shape);
    }
  }

  #bconv(
    p: Extract<Prepared, { op: { op: "bconv" } }>,
    input: Value,
    n: number,
    shape: Shape,
  ): Value {
    if (input.t !== "bits") throw new Error("bconv input must be packed");
    const k = this.#k;
    const op = p.op, e = p.epi;
    const [ih, iw, cin] = p.inShape;
    const x: PackedNHWC = {
      n,
      h: ih,
      w: iw,
      c: cin,
      cWords: input.stride,
      data: k.refresh(input.data),
    };
    const conv = { stride: op.stride, padding: "same" as const };
    const [oh, ow, cout] = p.dotShape;
    const cw = wordsFor(cout);
    const opts = { kernel: this.#kernel };
    if (e.e.mode === "fused") {
      if (e.e.out === "bits") {
        const raw = k.residentU32(n * oh * ow * cw);
        k.conv2dSign(x, p.w, conv, e.S!, e.B!, { ...opts, out: raw, plan: p.plan });
        if (!e.e.pool) return { t: "bits", data: raw, stride: cw, shape };
        const out = k.residentU32(n * shape[0] * shape[1] * cw);
        k.poolBits(raw, n, oh, ow, cw, e.minWords!, out);
        return { t: "bits", data: out, stride: cw, shape };
      }
      const raw = k.residentF32(n * oh * ow * cout);
      k.conv2dAffine(x, p.w, conv, e.S!, e.B!, { ...opts, out: raw, plan: p.plan });
      return this.#floatOut(raw, n, oh, ow, cout, e.e.pool ? e.minChannel! : null, e.e.act, shape);
    }
    const dots = k.residentI32(n * oh * ow * cout);
    k.conv2d(x, p.w, conv, { ...opts, out: dots });
    return this.#generic(e, k.refresh(dots), n, oh, ow, cout, input.meanAbs, shape);
  }

  #bdense(
    p: Extract<Prepared, { op: { op: "bdense" } }>,
    input: Value,
    n: number,
    shape: Shape,
  ): Value {
    if (input.t !== "bits") throw new Error("bdense input must be packed");
    const k = this.#k;
    const op = p.op, e = p.epi;
    const a: PackedRows = {
      rows: n,
      k: op.cin,
      strideWords: input.stride,
      data: k.refresh(input.data),
    };
    const opts = { kernel: this.#kernel };
    if (e.e.mode === "fused") {
      if (e.e.out === "bits") {
        const stride = wordsFor(op.cout, 4);
        const out = k.residentU32(n * stride);
        k.gemmSign(a, p.w, e.S!, e.B!, { ...opts, align: 4, out });
        return { t: "bits", data: out, stride, shape };
      }
      const raw = k.residentF32(n * op.cout);
      k.gemmAffine(a, p.w, e.S!, e.B!, { ...opts, out: raw });
      return this.#floatOut(raw, n, 1, 1, op.cout, null, e.e.act, shape);
    }
    const dots = k.residentI32(n * op.cout);
    k.gemm(a, p.w, { ...opts, out: dots });
    return this.#generic(e, k.refresh(dots), n, 1, 1, op.cout, input.meanAbs, shape);
  }

  /** Pool (optional) and act of a resident float output, on the wasm glue kernels when possible. */
  #floatOut(
    raw: Float32Array,
    n: number,
    h: number,
    w: number,
    c: number,
    minCh: Uint8Array | null,
    act: Act | undefined,
    shape: Shape,
  ): Value {
    const k = this.#k;
    if (c % 4 === 0) {
      if (minCh) {
        const out = k.residentF32(n * (h >> 1) * (w >> 1) * c);
        k.poolF32(raw, n, h, w, c, minCh, act ?? "none", out);
        return { t: "array", data: out, shape, resident: true };
      }
      k.actF32(raw, act ?? "none");
      return { t: "array", data: raw, shape, resident: true };
    }
    const y = k.refresh(raw);
    const data = minCh ? maxPool(y, n, h, w, c, minCh) : y.slice();
    applyAct(data, act ?? "none");
    return { t: "array", data, shape };
  }

  /**
   * The generic epilogue (xnor / xnorpp): `u = fround(fround(dot * scale) + b0)` with the scale
   * per channel times xnor's per-sample mean |x| (`fround(A[c] * m[n])`) or xnorpp's spatial map
   * (`A[c] = 1`), the true max pool of u, `v = fround(fround(u * G) + H)`, then act (float out)
   * or the pack tail (bits out). On the wasm glue kernels when c is a multiple of 4.
   */
  #generic(
    p: PreparedEpilogue,
    dots: Int32Array,
    n: number,
    oh: number,
    ow: number,
    c: number,
    meanAbs: Float32Array | undefined,
    shape: Shape,
  ): Value {
    const e = p.e, k = this.#k;
    const A = p.A!, b0 = p.b0!, G = p.G!, H = p.H!;
    if (e.sampleScale && !meanAbs) throw new Error("xnor layer input lacks its mean |x|");
    const npix = oh * ow;
    // The scale rows and how rows map to them (see dots_f32 in binary.wat).
    let scale: Float32Array, div = 1, period = 1;
    if (e.sampleScale) {
      scale = new Float32Array(n * c);
      for (let s = 0; s < n; s++) {
        for (let ch = 0; ch < c; ch++) scale[s * c + ch] = f32(A[ch] * meanAbs![s]);
      }
      div = npix;
      period = n;
    } else if (p.map) {
      scale = p.map;
      period = npix;
    } else {
      scale = A;
    }
    const rows = n * npix;
    const outRows = n * (shape.length === 3 ? shape[0] * shape[1] : 1);
    const bitsStride = wordsFor(c, shape.length === 1 ? 4 : 1);
    if (c % 4 === 0) {
      const u = k.residentF32(rows * c);
      k.dotsF32(dots, rows, c, scale, div, period, b0, u);
      let v = u;
      if (e.pool) {
        v = k.residentF32(outRows * c);
        k.poolF32(u, n, oh, ow, c, null, "none", v);
      }
      k.affineF32(v, outRows, c, G, H, e.out === "float" ? e.act ?? "none" : "none", v);
      if (e.out === "float") return { t: "array", data: v, shape, resident: true };
      const data = k.residentU32(outRows * bitsStride);
      k.packF32(v, outRows, c, p.ps!, p.pb!, data, bitsStride);
      return { t: "bits", data, stride: bitsStride, shape };
    }
    const u = new Float32Array(rows * c);
    for (let r = 0; r < rows; r++) {
      const srow = (Math.floor(r / div) % period) * c;
      for (let ch = 0; ch < c; ch++) {
        u[r * c + ch] = f32(f32(dots[r * c + ch] * scale[srow + ch]) + b0[ch]);
      }
    }
    const v = e.pool ? maxPool(u, n, oh, ow, c, null) : u;
    for (let i = 0; i < v.length; i++) {
      const ch = i % c;
      v[i] = f32(f32(v[i] * G[ch]) + H[ch]);
    }
    if (e.out === "float") {
      applyAct(v, e.act ?? "none");
      return { t: "array", data: v, shape };
    }
    const data = k.residentU32(outRows * bitsStride);
    k.packF32(v, outRows, c, p.ps!, p.pb!, data, bitsStride);
    return { t: "bits", data, stride: bitsStride, shape };
  }
}

/** Per-sample shapes of every value, from the input shape through the ops. */
function inferShapes(h: DeployHeader): Map<number, Shape> {
  const shapes = new Map<number, Shape>([[0, [...h.inputShape]]]);
  const get = (id: number) => {
    const s = shapes.get(id);
    if (!s) throw new UserError(`model file: value ${id} used before it is defined`);
    return s;
  };
  for (const op of h.ops) {
    let s: Shape;
    switch (op.op) {
      case "conv": {
        const [ih, iw] = get(op.in);
        s = [Math.ceil(ih / op.stride), Math.ceil(iw / op.stride), op.cout];
        break;
      }
      case "bconv": {
        const [ih, iw] = get(op.in);
        s = [Math.ceil(ih / op.stride), Math.ceil(iw / op.stride), op.cout];
        if (op.epi.pool) s = [Math.floor(s[0] / 2), Math.floor(s[1] / 2), op.cout];
        break;
      }
      case "dense":
      case "bdense":
        s = [op.cout];
        break;
      case "maxpool": {
        const [ih, iw, c] = get(op.in);
        s = [Math.floor(ih / 2), Math.floor(iw / 2), c];
        break;
      }
      case "flatten":
        s = [get(op.in).reduce((a, b) => a * b, 1)];
        break;
      case "gap":
        s = [get(op.in).at(-1)!];
        break;
      case "add":
        s = get(op.a);
        break;
      case "pack": {
        const i = get(op.in);
        s = op.pool ? [Math.floor(i[0] / 2), Math.floor(i[1] / 2), i[2]] : i;
        break;
      }
      default:
        s = get(op.in);
    }
    shapes.set(op.out, s);
  }
  return shapes;
}

/** act in place. */
function applyAct(x: Float32Array, act: Act): void {
  if (act === "relu") {
    for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
  } else if (act === "hardtanh") {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
  }
}

/** 2x2 stride-2 valid max pool of NHWC floats; channels flagged in `minCh` take the minimum. */
function maxPool(
  x: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  minCh: Uint8Array | null,
): Float32Array {
  const oh = Math.floor(h / 2), ow = Math.floor(w / 2);
  const out = new Float32Array(n * oh * ow * c);
  for (let s = 0; s < n; s++) {
    for (let y = 0; y < oh; y++) {
      for (let xq = 0; xq < ow; xq++) {
        const o = ((s * oh + y) * ow + xq) * c;
        const i00 = ((s * h + 2 * y) * w + 2 * xq) * c, i01 = i00 + c;
        const i10 = i00 + w * c, i11 = i10 + c;
        for (let ch = 0; ch < c; ch++) {
          const a = x[i00 + ch], b = x[i01 + ch], d = x[i10 + ch], e = x[i11 + ch];
          out[o + ch] = minCh !== null && minCh[ch]
            ? Math.min(Math.min(a, b), Math.min(d, e))
            : Math.max(Math.max(a, b), Math.max(d, e));
        }
      }
    }
  }
  return out;
}

/** Arg-max class per row of `k` logits (the first of equal maxima). */
export function argmaxRows(logits: Float32Array, k: number): Uint8Array {
  const n = logits.length / k;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
