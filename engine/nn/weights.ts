/**
 * The saved-weights file: trained parameters kept beside a run's result so later stages
 * (corruption evaluation, deployment export) reuse the trained network instead of retraining.
 *
 * Format (little-endian): magic "BBW1", u32 header length, UTF-8 JSON header
 * `{"params": [{"name", "shape", "offset"}...]}` (offset in float32 elements), zero padding to a
 * multiple of 4 bytes, then the float32 data.
 */
import type { WeightSnapshot } from "./params.ts";
import { UserError } from "../errors.ts";

const MAGIC = [0x42, 0x42, 0x57, 0x31]; // "BBW1"

/** Serialises a snapshot (parameter order preserved). */
export function encodeWeights(w: WeightSnapshot): Uint8Array {
  const params: { name: string; shape: number[]; offset: number }[] = [];
  let total = 0;
  for (const [name, p] of Object.entries(w)) {
    params.push({ name, shape: p.shape, offset: total });
    total += p.data.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ params }));
  const start = Math.ceil((8 + header.length) / 4) * 4;
  const out = new Uint8Array(start + total * 4);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  const data = new Float32Array(out.buffer, start, total);
  for (const [i, p] of params.entries()) data.set(Object.values(w)[i].data, p.offset);
  return out;
}

/** Parses a weights file; throws a UserError naming `file` when it is not one. */
export function decodeWeights(bytes: Uint8Array, file = "weights"): WeightSnapshot {
  const bad = (why: string) => new UserError(`corrupt weights file ${file}: ${why}`);
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad("bad magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = view.getUint32(4, true);
  if (8 + hlen > bytes.length) throw bad("truncated header");
  let header: { params: { name: string; shape: number[]; offset: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch {
    throw bad("header is not JSON");
  }
  const start = Math.ceil((8 + hlen) / 4) * 4;
  const floats = (bytes.length - start) / 4;
  if (!Number.isInteger(floats) || !Array.isArray(header?.params)) throw bad("bad layout");
  const aligned = new Float32Array(bytes.slice(start).buffer);
  const out: WeightSnapshot = {};
  for (const p of header.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.offset < 0 || p.offset + n > floats) throw bad(`parameter ${p.name} out of range`);
    out[p.name] = { shape: p.shape, data: aligned.slice(p.offset, p.offset + n) };
  }
  return out;
}
