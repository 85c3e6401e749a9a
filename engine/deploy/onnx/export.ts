/**
 * ONNX export of a full-precision network, for the float baseline a deployer would run on a native
 * engine (onnxruntime). It is built from the same lowering as the deployed-model file
 * (../export.ts `lowerModel`: the engine's trained weights, BatchNorm folded), so the ONNX network
 * and the tfjs-wasm fp32 deployment compute the same function; only the engines differ.
 *
 * Layout: the graph takes NCHW input (the ONNX convention, what onnxruntime's convolutions are
 * written for; for one input channel NCHW and the engine's NHWC are the same bytes) and keeps
 * NCHW throughout; a flatten transposes back to the engine's N(HWC) order first, so the dense
 * weights are used unchanged. Convolutions use `auto_pad SAME_UPPER` (tfjs's `same`), weights
 * OIHW; dense layers are Gemm. Only full-precision ops are accepted: a binarized network's
 * bit-packed ops have no ONNX float equivalent here and are refused.
 */
import { UserError } from "../../errors.ts";
import type { Model } from "../../nn/model.ts";
import { type ExportOptions, lowerModel } from "../export.ts";
import type { Act } from "../format.ts";
import { encodeOnnx, type OnnxGraph, type OnnxNode, type OnnxTensor } from "./proto.ts";

/** Default-domain opset the exported graphs use. */
export const ONNX_OPSET = 13;

/** Name of the graph input (NCHW float32) and of the output (logits [N, classes]). */
export const ONNX_INPUT = "input";
export const ONNX_OUTPUT = "logits";

const PRODUCER = "bibench-ts";

/** HWIO -> OIHW. */
function oihw(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let t = 0; t < k * k; t++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) out[(o * cin + i) * k * k + t] = w[(t * cin + i) * cout + o];
    }
  }
  return out;
}

/** Builds a graph node by node, naming values v<id> and tensors by their lowering names. */
class GraphBuilder {
  nodes: OnnxNode[] = [];
  inits: OnnxTensor[] = [];
  private tmp = 0;

  constructor(private f32: Map<string, Float32Array>) {}

  tensor(name: string, dims: number[], data?: Float32Array): string {
    const d = data ?? this.f32.get(name);
    if (!d) throw new UserError(`ONNX export: tensor ${name} missing`);
    this.inits.push({ name, dims, data: d });
    return name;
  }

  fresh(): string {
    return `t${this.tmp++}`;
  }

  node(op: string, inputs: string[], attrs?: OnnxNode["attrs"], out = this.fresh()): string {
    this.nodes.push({ op, inputs, outputs: [out], ...(attrs ? { attrs } : {}) });
    return out;
  }

  act(x: string, act: Act, out?: string): string {
    if (act === "relu") return this.node("Relu", [x], undefined, out);
    if (act === "hardtanh") {
      if (!this.inits.some((t) => t.name === "clip_lo")) {
        this.inits.push({ name: "clip_lo", dims: [], data: new Float32Array([-1]) });
        this.inits.push({ name: "clip_hi", dims: [], data: new Float32Array([1]) });
      }
      return this.node("Clip", [x, "clip_lo", "clip_hi"], undefined, out);
    }
    return out && x !== out ? this.node("Identity", [x], undefined, out) : x;
  }
}

/**
 * The ONNX model (bytes) of a full-precision model in evaluation mode. Throws a UserError for a
 * network with binarized layers.
 */
export function exportOnnx(model: Model, opts: ExportOptions = {}): Uint8Array {
  const { header, f32 } = lowerModel(model, opts);
  const g = new GraphBuilder(f32);
  const names = new Map<number, string>([[0, ONNX_INPUT]]);
  const rank = new Map<number, number>([[0, header.inputShape.length + 1]]);
  const v = (id: number) => {
    const n = names.get(id);
    if (n === undefined) throw new UserError(`ONNX export: value ${id} used before it is made`);
    return n;
  };
  const last = header.ops.length - 1;
  header.ops.forEach((op, i) => {
    const out = i === last ? ONNX_OUTPUT : undefined;
    let y: string, r: number;
    switch (op.op) {
      case "conv": {
        const w = g.tensor(
          `${op.w}.oihw`,
          [op.cout, op.cin, op.k, op.k],
          oihw(f32.get(op.w)!, op.k, op.cin, op.cout),
        );
        const ins = [v(op.in), w, ...(op.b ? [g.tensor(op.b, [op.cout])] : [])];
        const c = g.node("Conv", ins, {
          auto_pad: "SAME_UPPER",
          kernel_shape: [op.k, op.k],
          strides: [op.stride, op.stride],
        }, op.act === "none" ? out : undefined);
        y = g.act(c, op.act, out), r = 4;
        break;
      }
      case "dense": {
        const ins = [
          v(op.in),
          g.tensor(op.w, [op.cin, op.cout]),
          ...(op.b ? [g.tensor(op.b, [op.cout])] : []),
        ];
        const d = g.node("Gemm", ins, undefined, op.act === "none" ? out : undefined);
        y = g.act(d, op.act, out), r = 2;
        break;
      }
      case "maxpool":
        y = g.node("MaxPool", [v(op.in)], { kernel_shape: [2, 2], strides: [2, 2] }, out), r = 4;
        break;
      case "affine": {
        r = rank.get(op.in)!;
        const c = (op.scale ?? op.bias)!;
        const dims = (n: number) => (r === 4 ? [n, 1, 1] : [n]);
        let x = v(op.in);
        const cn = c ? f32.get(c)!.length : 0;
        if (op.scale) x = g.node("Mul", [x, g.tensor(op.scale, dims(cn))]);
        if (op.bias) x = g.node("Add", [x, g.tensor(op.bias, dims(cn))]);
        y = g.act(x, op.act, out);
        break;
      }
      case "flatten": {
        const t = g.node("Transpose", [v(op.in)], { perm: [0, 2, 3, 1] });
        y = g.node("Flatten", [t], { axis: { int: 1 } }, out), r = 2;
        break;
      }
      case "gap": {
        const p = g.node("GlobalAveragePool", [v(op.in)]);
        y = g.node("Flatten", [p], { axis: { int: 1 } }, out), r = 2;
        break;
      }
      case "add": {
        const s = g.node("Add", [v(op.a), v(op.b)], undefined, op.act === "none" ? out : undefined);
        y = g.act(s, op.act, out), r = rank.get(op.a)!;
        break;
      }
      default:
        throw new UserError(
          `ONNX export: ${model.name}/${model.binarizer} has a binarized op (${op.op}); ` +
            "only full-precision networks export to ONNX",
        );
    }
    names.set(op.out, y);
    rank.set(op.out, r);
  });
  if (names.get(header.output) !== ONNX_OUTPUT) {
    throw new UserError("ONNX export: the last op does not produce the logits");
  }
  const [h, w, c] = header.inputShape;
  const graph: OnnxGraph = {
    name: `${header.model}-${header.binarizer}`,
    nodes: g.nodes,
    initializers: g.inits,
    inputs: [{
      name: ONNX_INPUT,
      dims: header.inputShape.length === 3 ? ["N", c, h, w] : ["N", ...header.inputShape],
    }],
    outputs: [{ name: ONNX_OUTPUT, dims: ["N", header.numClasses] }],
    opset: ONNX_OPSET,
    producer: PRODUCER,
    producerVersion: "1",
  };
  return encodeOnnx(graph);
}

/** NHWC -> NCHW of a float batch (a copy; for one channel the same values). */
export function toNCHW(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  if (c === 1) return x;
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let ch = 0; ch < c; ch++) {
          out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch];
        }
      }
    }
  }
  return out;
}

/** A single-Conv model (3x3, `same`, no bias) of NCHW input [n, c, hw, hw], weights OIHW. */
export function onnxConvModel(
  n: number,
  hw: number,
  c: number,
  o: number,
  w: Float32Array,
): Uint8Array {
  return encodeOnnx({
    name: "conv",
    nodes: [{
      op: "Conv",
      inputs: [ONNX_INPUT, "w"],
      outputs: [ONNX_OUTPUT],
      attrs: { auto_pad: "SAME_UPPER", kernel_shape: [3, 3], strides: [1, 1] },
    }],
    initializers: [{ name: "w", dims: [o, c, 3, 3], data: w }],
    inputs: [{ name: ONNX_INPUT, dims: [n, c, hw, hw] }],
    outputs: [{ name: ONNX_OUTPUT, dims: [n, o, hw, hw] }],
    opset: ONNX_OPSET,
    producer: PRODUCER,
    producerVersion: "1",
  });
}

/** A single-MatMul model: input [m, k] times the constant [k, n]. */
export function onnxMatMulModel(m: number, k: number, n: number, b: Float32Array): Uint8Array {
  return encodeOnnx({
    name: "matmul",
    nodes: [{ op: "MatMul", inputs: [ONNX_INPUT, "b"], outputs: [ONNX_OUTPUT] }],
    initializers: [{ name: "b", dims: [k, n], data: b }],
    inputs: [{ name: ONNX_INPUT, dims: [m, k] }],
    outputs: [{ name: ONNX_OUTPUT, dims: [m, n] }],
    opset: ONNX_OPSET,
    producer: PRODUCER,
    producerVersion: "1",
  });
}
