/**
 * The PNG grid behind `deno task corruptions:png` (app/corruptions_png.ts): written so a person
 * can check each corruption is what its name says. Rows: the clean images,
 * then the 15 MNIST-C corruptions in order, each labelled on the left; columns: N MNIST test
 * digits, then N Fashion-MNIST test images (left out, with a note, when that dataset is not
 * installed). Pixels are scaled 2x.
 */
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import { loadDataset, type Split } from "../data/mod.ts";
import { corruptImage, CORRUPTION_NAMES, SIZE } from "./mod.ts";
import { drawText, encodePng, textWidth } from "./png.ts";

const ZOOM = 2;
const GAP = 4;
const LABEL_SCALE = 2;

/** One image per row label and column: the grid's content before it becomes pixels. */
export interface GridContent {
  rows: string[];
  columns: Float32Array[];
  /** Rows x columns images (784 floats each). */
  cells: Float32Array[][];
}

/** Corrupts `images` (column i is image index i) with every corruption under `seed`. */
export function gridContent(images: Float32Array[], seed: number): GridContent {
  const rows = ["clean", ...CORRUPTION_NAMES];
  const cells = rows.map((r) =>
    images.map((img, i) => (r === "clean" ? img : corruptImage(r, img, seed, i)))
  );
  return { rows, columns: images, cells };
}

/** Renders grid content as an 8-bit grayscale canvas (labels on the left). */
export function renderGrid(g: GridContent): { width: number; height: number; pixels: Uint8Array } {
  const cell = SIZE * ZOOM;
  const labelW = Math.max(...g.rows.map((r) => textWidth(r, LABEL_SCALE))) + 2 * GAP;
  const width = labelW + g.columns.length * (cell + GAP) + GAP;
  const height = g.rows.length * (cell + GAP) + GAP;
  const canvas = { width, height, pixels: new Uint8Array(width * height).fill(40) };
  g.rows.forEach((label, r) => {
    const y0 = GAP + r * (cell + GAP);
    drawText(canvas, label, GAP, y0 + (cell - 7 * LABEL_SCALE) / 2, 255, LABEL_SCALE);
    g.cells[r].forEach((img, c) => {
      const x0 = labelW + c * (cell + GAP);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const v = img[Math.floor(y / ZOOM) * SIZE + Math.floor(x / ZOOM)];
          canvas.pixels[(y0 + y) * width + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
      }
    });
  });
  return canvas;
}

function firstImages(split: Split, n: number): Float32Array[] {
  const per = SIZE * SIZE;
  return Array.from(
    { length: Math.min(n, split.n) },
    (_, i) => split.x.slice(i * per, (i + 1) * per),
  );
}

/** Writes the grid PNG; returns the file and what it holds. */
export async function writeCorruptionGrid(opts: {
  out: string;
  examples: number;
  seed: number;
  dataDir?: string;
}): Promise<{ file: string; rows: number; columns: number; notes: string[] }> {
  const notes: string[] = [];
  const mnist = await loadDataset("mnist", { limit: { test: 200 } });
  const images = firstImages(mnist.test, opts.examples);
  try {
    const fashion = await loadDataset("fashion-mnist", { dir: opts.dataDir, limit: { test: 200 } });
    images.push(...firstImages(fashion.test, opts.examples));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    notes.push(`Fashion-MNIST left out: ${e.message}`);
  }
  const g = gridContent(images, opts.seed);
  const canvas = renderGrid(g);
  await Deno.mkdir(dirname(opts.out) || ".", { recursive: true });
  await Deno.writeFile(opts.out, encodePng(canvas.width, canvas.height, canvas.pixels));
  return { file: opts.out, rows: g.rows.length, columns: images.length, notes };
}
