/**
 * IDX file parsing (the MNIST-family format: a big-endian magic number, big-endian dimensions,
 * then unsigned bytes), gzip-compressed or raw.
 *
 * Why so strict: a truncated download or a mislabeled file otherwise surfaces much later as NaN
 * losses or an index error deep in training. Every check here fails with a {@link UserError} whose
 * one-line message names the file and says what is wrong with it.
 */

import { gunzipSync } from "node:zlib";
import { UserError } from "../errors.ts";

/** Magic number of an IDX file of unsigned bytes with one dimension (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;
/** Magic number of an IDX file of unsigned bytes with three dimensions (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;

/** Images parsed from an IDX file: `n` images of rows*cols bytes, row-major. */
export interface IdxImages {
  n: number;
  rows: number;
  cols: number;
  /** n*rows*cols pixel bytes (a view into the decoded file). */
  pixels: Uint8Array;
}

/** True when `bytes` start with the gzip magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The IDX payload of a file's bytes: gunzipped when they are gzip data, as-is otherwise. A file
 * named `.gz` that is not gzip data, or gzip data that does not decompress, is a {@link UserError}.
 */
export function decodeIdxFile(bytes: Uint8Array, file: string): Uint8Array {
  if (isGzip(bytes)) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new UserError(`corrupt gzip file ${file}: ${oneLine(e)}`);
    }
  }
  if (file.endsWith(".gz")) {
    throw new UserError(
      `corrupt gzip file ${file}: it does not start with the gzip magic bytes 1f 8b`,
    );
  }
  return bytes;
}

/** Parses an IDX images payload (magic 0x00000803), checking its header and byte length. */
export function parseIdxImages(payload: Uint8Array, file: string): IdxImages {
  const [n, rows, cols] = readHeader(payload, file, IDX_IMAGES_MAGIC, "unsigned-byte images");
  if (rows === 0 || cols === 0) {
    throw new UserError(`corrupt IDX file ${file}: image size ${rows}x${cols} is empty`);
  }
  const header = 4 + 4 * 3;
  checkLength(payload, file, header + n * rows * cols);
  return { n, rows, cols, pixels: payload.subarray(header) };
}

/**
 * Parses an IDX labels payload (magic 0x00000801), checking its header, byte length and that
 * every label lies in 0..numClasses-1.
 */
export function parseIdxLabels(payload: Uint8Array, file: string, numClasses: number): Uint8Array {
  const [n] = readHeader(payload, file, IDX_LABELS_MAGIC, "unsigned-byte labels");
  const header = 4 + 4;
  checkLength(payload, file, header + n);
  const labels = payload.subarray(header);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= numClasses) {
      throw new UserError(
        `corrupt IDX file ${file}: label ${labels[i]} at index ${i} is out of range 0..${
          numClasses - 1
        }`,
      );
    }
  }
  return labels;
}

function readHeader(payload: Uint8Array, file: string, magic: number, what: string): number[] {
  const ndims = magic & 0xff;
  if (payload.length < 4) {
    throw new UserError(
      `corrupt IDX file ${file}: ${payload.length} bytes is too short for an IDX header`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new UserError(
      `corrupt IDX file ${file}: magic number ${hex(found)}, expected ${hex(magic)} (${what})`,
    );
  }
  const header = 4 + 4 * ndims;
  if (payload.length < header) {
    throw new UserError(
      `corrupt IDX file ${file}: header truncated (expected ${header} bytes, found ${payload.length})`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  return dims;
}

function checkLength(payload: Uint8Array, file: string, expected: number): void {
  if (payload.length !== expected) {
    throw new UserError(
      `corrupt IDX file ${file}: expected ${expected} bytes, found ${payload.length}`,
    );
  }
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

/** An error's message on one line. */
function oneLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).replace(/\s+/g, " ").trim();
}
