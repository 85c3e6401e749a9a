/**
 * The few ONNX protobuf messages an exported float network needs, written by hand: a model file is
 * a ModelProto, and encoding it is a short loop over tagged fields (no protobuf library, and the
 * same network gives the same bytes). Field numbers are onnx/onnx.proto's (IR version 8):
 *
 * - ModelProto: ir_version 1 (int64), producer_name 2, producer_version 3, graph 7,
 *   opset_import 8 (OperatorSetIdProto: domain 1, version 2).
 * - GraphProto: node 1, name 2, initializer 5, input 11, output 12.
 * - NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
 * - AttributeProto: name 1, f 2 (float), i 3 (int64), s 4 (bytes), ints 8 (packed int64),
 *   type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
 * - TensorProto: dims 1 (packed int64), data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9
 *   (little-endian values).
 * - ValueInfoProto: name 1, type 2 -> TypeProto: tensor_type 1 -> Tensor: elem_type 1, shape 2 ->
 *   TensorShapeProto: dim 1 -> Dimension: dim_value 1 (int64) or dim_param 2 (a symbolic name).
 */

/** An attribute value: a float, an int, a list of ints or a string. */
export type AttrValue = number | { int: number } | number[] | string;

/** One graph node. */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Attributes; plain numbers are FLOAT, `{ int }` INT, arrays INTS, strings STRING. */
  attrs?: Record<string, AttrValue>;
}

/** One initializer: float32 or int64 values of a shape. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: float32, its dimensions (a string is a symbolic dimension). */
export interface OnnxValue {
  name: string;
  dims: (number | string)[];
}

/** A whole model. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Default-domain opset version. */
  opset: number;
  producer: string;
  producerVersion: string;
}

const IR_VERSION = 8;

/** A growable byte buffer with protobuf's wire encodings. */
class Writer {
  private buf = new Uint8Array(256);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer (negatives as 10-byte two's complement). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.room(4);
    new DataView(this.buf.buffer).setFloat32(this.n, v, true);
    this.n += 4;
  }

  packedInts(field: number, vs: readonly (number | bigint)[]): void {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    this.bytes(field, inner.done());
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.done());
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

function attribute(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === "number") w.float(2, v), w.int(20, 1);
  else if (typeof v === "string") w.string(4, v), w.int(20, 3);
  else if (Array.isArray(v)) w.packedInts(8, v), w.int(20, 7);
  else w.int(3, v.int), w.int(20, 2);
}

function tensor(w: Writer, t: OnnxTensor): void {
  w.packedInts(1, t.dims);
  w.int(2, t.data instanceof Float32Array ? 1 : 7);
  w.string(8, t.name);
  const le = new Uint8Array(t.data.byteLength);
  const dv = new DataView(le.buffer);
  if (t.data instanceof Float32Array) t.data.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  else t.data.forEach((x, i) => dv.setBigInt64(i * 8, x, true));
  w.bytes(9, le);
}

function valueInfo(w: Writer, v: OnnxValue): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, 1); // FLOAT
      tt.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => typeof d === "string" ? dim.string(2, d) : dim.int(1, d));
        }
      });
    }));
}

/** The bytes of an ONNX model file. */
export function encodeOnnx(g: OnnxGraph): Uint8Array {
  const w = new Writer();
  w.int(1, IR_VERSION);
  w.string(2, g.producer);
  w.string(3, g.producerVersion);
  w.message(7, (gw) => {
    g.nodes.forEach((n, i) =>
      gw.message(1, (nw) => {
        for (const x of n.inputs) nw.string(1, x);
        for (const x of n.outputs) nw.string(2, x);
        nw.string(3, `${n.op.toLowerCase()}_${i}`);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) {
          nw.message(5, (aw) => attribute(aw, k, v));
        }
      })
    );
    gw.string(2, g.name);
    for (const t of g.initializers) gw.message(5, (tw) => tensor(tw, t));
    for (const v of g.inputs) gw.message(11, (vw) => valueInfo(vw, v));
    for (const v of g.outputs) gw.message(12, (vw) => valueInfo(vw, v));
  });
  w.message(8, (ow) => {
    ow.string(1, "");
    ow.int(2, g.opset);
  });
  return w.done();
}
