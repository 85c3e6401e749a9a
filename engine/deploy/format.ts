/**
 * The deployed-model file ("BBDM", version 1): a trained network lowered to the operations the
 * inference runtime executes, with binarized weights stored as bits. Documented in README.md
 * beside this module; the file size is the `S` of OM_infer (docs/metrics.md).
 *
 * Layout (little-endian):
 *
 * | bytes          | content                                                             |
 * | -------------- | ------------------------------------------------------------------- |
 * | 0..3           | magic "BBDM"                                                        |
 * | 4..7           | u32 format version (1)                                              |
 * | 8..11          | u32 header length H in bytes                                        |
 * | 12..12+H       | UTF-8 JSON header ({@link DeployHeader}), compact                   |
 * | up to 16-align | zero padding                                                        |
 * | data           | tensors, each at a 16-byte aligned offset (relative to data start)  |
 *
 * Tensor dtypes: `f32` (IEEE float32) and `bits`: one sign bit per value in row-major order of
 * `shape`, value i in byte i >> 3, bit i & 7 (LSB first); a set bit means -1 (value < 0), a clear
 * bit +1 (sign(0) = +1), as the kernels' packing (../kernels/pack.ts). Bit streams are tight: no
 * per-row or per-tap padding, so a binarized weight costs exactly one bit in the file.
 */
import { UserError } from "../errors.ts";

/** File magic. */
export const DEPLOY_MAGIC = "BBDM";
/** Current format version. */
export const DEPLOY_VERSION = 1;

/** Activation fused into an op. */
export type Act = "none" | "relu" | "hardtanh";

/** One stored tensor. */
export interface TensorEntry {
  name: string;
  dtype: "f32" | "bits";
  shape: number[];
  /** Byte offset from the start of the data section (16-aligned). */
  offset: number;
  bytes: number;
}

/**
 * The per-element work after a binary dot product, per output channel c (see README.md):
 * - `fused`: `y = fround(fround(dot * S[c]) + B[c])` (scale, output scale, bias, BatchNorm and
 *   the next layer's threshold folded together). With `out: "bits"` the bit is `y < 0`, which the
 *   kernels evaluate as an exact integer threshold.
 * - `generic`: `u = fround(dot * scale)` where scale is `A[c]` times xnorpp's spatial map
 *   `fround(fround(beta[h] * gamma[w]) * alpha[c])` and/or xnor's per-sample activation scale
 *   `m[n] = mean |x[n]|` (computed at run time by the producing `pack`); then `u += b0[c]`; then
 *   the 2x2 max pool (true max of u); then `v = fround(fround(u * G[c]) + H[c])` (BatchNorm).
 * Both then apply `clip` (float output) or the pack tail `bit = fround(v * ps[c] + pb[c]) < 0`
 * (generic bits output; the fused form has it folded into S and B).
 */
export interface BinEpilogue {
  mode: "fused" | "generic";
  out: "bits" | "float";
  /** fused: folded scale and bias (f32 [cout]). */
  S?: string;
  B?: string;
  /** generic: pre-pool scale, pre-pool bias, post-pool affine (f32 [cout]). */
  A?: string;
  b0?: string;
  G?: string;
  H?: string;
  /** generic, xnorpp: the output scale factors alpha [cout], beta [oh], gamma [ow]. */
  spatial?: { alpha: string; beta: string; gamma: string };
  /** generic, xnor: multiply by the input's per-sample mean |x| (from its `pack`). */
  sampleScale?: boolean;
  /** 2x2 stride-2 max pool after the dot (conv only). */
  pool?: boolean;
  /**
   * fused pool: channels (bits [cout]) whose pooled value is the minimum (float out) / the OR of
   * the bits (bits out) instead of the maximum / AND: those where the folded slope after the
   * pool is negative.
   */
  poolMin?: string;
  /** float output: activation applied last. */
  act?: Act;
  /** generic bits output: the pack tail (f32 [cout]). */
  ps?: string;
  pb?: string;
}

/** Operations. Values are numbered; value 0 is the input batch (NHWC float). */
export type DeployOp =
  /** Full-precision conv, `same` padding, HWIO weights (BatchNorm folded when possible). */
  | {
    op: "conv";
    in: number;
    out: number;
    w: string;
    b?: string;
    k: number;
    stride: number;
    cin: number;
    cout: number;
    act: Act;
  }
  /** Full-precision dense layer, weights [in, out]. */
  | {
    op: "dense";
    in: number;
    out: number;
    w: string;
    b?: string;
    cin: number;
    cout: number;
    act: Act;
  }
  /** 2x2 stride-2 `valid` max pooling of a float value. */
  | { op: "maxpool"; in: number; out: number }
  /** Per-channel `fround(fround(x * scale) + bias)` (when given) then act, on a float value. */
  | { op: "affine"; in: number; out: number; scale?: string; bias?: string; act: Act }
  /** NHWC -> N(HWC). */
  | { op: "flatten"; in: number; out: number }
  /** Global average pooling NHWC -> NC. */
  | { op: "gap"; in: number; out: number }
  /** act(a + b). */
  | { op: "add"; a: number; b: number; out: number; act: Act }
  /**
   * Float -> packed bits: `bit = fround(fround(x * ps[c]) + pb[c]) < 0` per channel (BatchNorm,
   * hardtanh and a react threshold folded in); `meanAbs`: also the per-sample mean |x| (xnor);
   * `pool`: a 2x2 max pool between the float value and the affine, done on the bits.
   */
  | {
    op: "pack";
    in: number;
    out: number;
    ps: string;
    pb: string;
    meanAbs: boolean;
    /** 2x2 max pool of the signs after packing (AND of the bits; OR where `poolMin` is -1). */
    pool?: boolean;
    poolMin?: string;
  }
  /** Binarized conv: packed NHWC input, packed OHWI weights (bits [cout, k, k, cin]). */
  | {
    op: "bconv";
    in: number;
    out: number;
    w: string;
    k: number;
    stride: number;
    cin: number;
    cout: number;
    epi: BinEpilogue;
  }
  /** Binarized dense layer: packed rows input, weights bits [cout, in]. */
  | {
    op: "bdense";
    in: number;
    out: number;
    w: string;
    cin: number;
    cout: number;
    epi: BinEpilogue;
  };

/** The JSON header. */
export interface DeployHeader {
  format: "bibench-deploy";
  version: number;
  model: string;
  binarizer: string;
  /** Shape of one input sample ([h, w, c] for images, NHWC). */
  inputShape: number[];
  numClasses: number;
  /** Value id holding the logits. */
  output: number;
  ops: DeployOp[];
  tensors: TensorEntry[];
}

/** A deployed model in memory: header plus tensor payloads by name. */
export interface DeployedModel {
  header: DeployHeader;
  f32: Map<string, Float32Array>;
  /** Sign bits as ±1 floats by name (decoded from / encoded to bit streams). */
  bits: Map<string, Float32Array>;
}

const ALIGN = 16;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Packs ±1 (any sign) values into a tight LSB-first bit stream (bit set = negative). */
export function packBitStream(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) if (values[i] < 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** Unpacks `n` values of a bit stream to ±1. */
export function unpackBitStream(bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1 ? -1 : 1;
  return out;
}

/** Serialises a deployed model (tensor entries of the header are recomputed). */
export function encodeDeployed(
  m: {
    header: Omit<DeployHeader, "tensors">;
    f32: Map<string, Float32Array>;
    bits: Map<string, Float32Array>;
  },
): Uint8Array {
  const tensors: TensorEntry[] = [];
  const payloads: Uint8Array[] = [];
  let off = 0;
  const add = (name: string, dtype: "f32" | "bits", shape: number[], bytes: Uint8Array) => {
    tensors.push({ name, dtype, shape, offset: off, bytes: bytes.length });
    payloads.push(bytes);
    off = align(off + bytes.length);
  };
  for (const [name, v] of m.f32) {
    add(name, "f32", [v.length], new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  for (const [name, v] of m.bits) add(name, "bits", [v.length], packBitStream(v));
  const header: DeployHeader = { ...m.header, tensors };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align(12 + json.length);
  const out = new Uint8Array(
    start + (tensors.length ? tensors.at(-1)!.offset + payloads.at(-1)!.length : 0),
  );
  out.set(new TextEncoder().encode(DEPLOY_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, DEPLOY_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  tensors.forEach((t, i) => out.set(payloads[i], start + t.offset));
  return out;
}

/** Parses a model file; a malformed one is a UserError naming `file`. */
export function decodeDeployed(bytes: Uint8Array, file = "model"): DeployedModel {
  const bad = (why: string) => new UserError(`not a deployable model file ${file}: ${why}`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 4)) !== DEPLOY_MAGIC) {
    throw bad("bad magic (expected BBDM)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== DEPLOY_VERSION) {
    throw bad(`format version ${version} (this runtime reads ${DEPLOY_VERSION})`);
  }
  const hlen = view.getUint32(8, true);
  if (12 + hlen > bytes.length) throw bad("truncated header");
  let header: DeployHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  } catch {
    throw bad("header is not JSON");
  }
  if (header?.format !== "bibench-deploy" || !Array.isArray(header.ops)) {
    throw bad("header lacks format / ops");
  }
  if (!Array.isArray(header.tensors)) throw bad("header lacks tensors");
  const start = align(12 + hlen);
  const f32 = new Map<string, Float32Array>();
  const bits = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const need = t.dtype === "f32" ? n * 4 : Math.ceil(n / 8);
    if (t.bytes !== need || t.offset < 0 || start + t.offset + t.bytes > bytes.length) {
      throw bad(`tensor ${t.name} out of range`);
    }
    const raw = bytes.subarray(start + t.offset, start + t.offset + t.bytes);
    if (t.dtype === "f32") f32.set(t.name, new Float32Array(raw.slice().buffer));
    else if (t.dtype === "bits") bits.set(t.name, unpackBitStream(raw, n));
    else throw bad(`tensor ${t.name} has unknown dtype ${t.dtype}`);
  }
  return { header, f32, bits };
}

/** Where the bytes of a model file go (for reports: what limits the size ratio). */
export interface SizeBreakdown {
  total: number;
  /** Magic, version, length, JSON header and alignment padding. */
  header: number;
  /** Bit-packed binarized weights. */
  binaryWeights: number;
  /** Float weights and biases of full-precision conv / dense layers. */
  floatWeights: number;
  /** Per-channel float vectors of the binarized layers and packs (folded scales, thresholds). */
  channelVectors: number;
}

/** Splits a model file's size by what the bytes hold. */
export function sizeBreakdown(bytes: Uint8Array): SizeBreakdown {
  const m = decodeDeployed(bytes);
  const fpTensors = new Set<string>();
  for (const op of m.header.ops) {
    if (op.op === "conv" || op.op === "dense") {
      fpTensors.add(op.w);
      if (op.b) fpTensors.add(op.b);
    }
  }
  let bin = 0, fw = 0, vec = 0, data = 0;
  for (const t of m.header.tensors) {
    data = Math.max(data, t.offset + t.bytes);
    if (t.dtype === "bits" && !t.name.endsWith(".poolMin")) bin += t.bytes;
    else if (fpTensors.has(t.name)) fw += t.bytes;
    else vec += t.bytes;
  }
  return {
    total: bytes.length,
    header: bytes.length - bin - fw - vec,
    binaryWeights: bin,
    floatWeights: fw,
    channelVectors: vec,
  };
}
