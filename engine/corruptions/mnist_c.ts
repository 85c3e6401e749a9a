/**
 * The 15 corruptions of MNIST-C (Mu & Gilmer 2019, arXiv:1906.02337; public code
 * google-research/mnist-c `corruptions.py`), re-implemented from their descriptions with the
 * parameters MNIST-C used to build its released dataset (each function's default severity
 * there; noted per corruption below). Images are 28x28 floats in [0, 1] (MNIST-C works on
 * 0..255 and divides by 255: the same maths). Every random draw comes from the `Rng` passed in,
 * so a corrupted image is a pure function of (image, corruption, seed, index) — see ./mod.ts.
 *
 * Conventions borrowed from the libraries MNIST-C called: Gaussian blur is scipy's (truncated at
 * 4 sigma, skimage's default boundary "nearest"); affine warps are skimage `warp` with an inverse
 * map, bilinear, 0 outside, about the centre (13.5, 13.5); motion blur is ImageMagick's
 * MotionBlurImage (a one-sided Gaussian line kernel of width 2 radius + 1); numpy's randint
 * excludes its upper bound (which makes glass blur's displacement -1 or 0, as in MNIST-C).
 */
import type { Rng } from "../rng.ts";
import { canny } from "./canny.ts";
import {
  centred,
  clip01,
  gaussian,
  type Gray,
  lineFromPoints,
  poisson,
  randint,
  randomSign,
  warpAffine,
} from "./image.ts";

/** Side of the images the corruptions are defined for. */
export const SIZE = 28;

/** One corruption: its name, what it does (with MNIST-C's parameters), and the function. */
export interface Corruption {
  name: string;
  description: string;
  /** Whether it draws random numbers (the others are deterministic functions of the image). */
  random: boolean;
  apply(img: Gray, rng: Rng): Gray;
}

const copy = (img: Gray): Gray => ({ w: img.w, h: img.h, data: Float32Array.from(img.data) });

/** shot_noise, severity 5: Poisson(x * 3) / 3, clipped. */
function shotNoise(img: Gray, rng: Rng): Gray {
  const c = 3;
  const out = copy(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] = poisson(rng, img.data[i] * c) / c;
  return clip01(out);
}

/** impulse_noise, severity 4: salt & pepper on a 0.17 share of pixels (half 1, half 0). */
function impulseNoise(img: Gray, rng: Rng): Gray {
  const amount = 0.17;
  const out = copy(img);
  for (let i = 0; i < out.data.length; i++) {
    const flipped = rng.next() <= amount;
    const salted = rng.next() <= 0.5;
    if (flipped) out.data[i] = salted ? 1 : 0;
  }
  return out;
}

/**
 * glass_blur, severity 1: (sigma 0.7, max_delta 1, 2 iterations). Blur, quantise to 8 bits, then
 * for each iteration visit pixels (h, w) from 27 down to 2 and with probability 1/2 swap each
 * with the pixel displaced by (dy, dx) drawn from randint(-1, 1) = {-1, 0}; blur again.
 */
function glassBlur(img: Gray, rng: Rng): Gray {
  const [sigma, delta, iterations] = [0.7, 1, 2];
  const b = gaussian(img, sigma);
  // np.uint8(blurred * 255): truncation to 8 bits.
  const q = b.data.map((v) => Math.floor(Math.min(255, Math.max(0, v * 255))));
  const w = img.w;
  for (let it = 0; it < iterations; it++) {
    for (let h = SIZE - delta; h > delta; h--) {
      for (let x = SIZE - delta; x > delta; x--) {
        if (rng.next() < 0.5) {
          const dx = randint(rng, -delta, delta);
          const dy = randint(rng, -delta, delta);
          const a = h * w + x, o = (h + dy) * w + (x + dx);
          const t = q[a];
          q[a] = q[o];
          q[o] = t;
        }
      }
    }
  }
  for (let i = 0; i < q.length; i++) q[i] /= 255;
  return clip01(gaussian({ w: img.w, h: img.h, data: q }, sigma));
}

/**
 * motion_blur, severity 1: ImageMagick motion blur with radius 10, sigma 3, at an angle uniform
 * in [-45, 45] degrees: output(x, y) = sum_i k_i input(x + round(i cos a), y + round(i sin a)),
 * i = 0..20, k_i proportional to exp(-i^2 / (2 sigma^2)) (one-sided), edge pixels repeated.
 */
function motionBlur(img: Gray, rng: Rng): Gray {
  const [radius, sigma] = [10, 3];
  const angle = (-45 + 90 * rng.next()) * (Math.PI / 180);
  const width = 2 * Math.ceil(radius) + 1;
  const k = new Float64Array(width);
  let sum = 0;
  for (let i = 0; i < width; i++) {
    k[i] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += k[i];
  }
  const offX = new Int32Array(width), offY = new Int32Array(width);
  for (let i = 0; i < width; i++) {
    // ImageMagick: offset = ceil(i * direction - 0.5), direction (cos a, sin a).
    offX[i] = Math.ceil(i * Math.cos(angle) - 0.5);
    offY[i] = Math.ceil(i * Math.sin(angle) - 0.5);
  }
  const { w, h, data } = img;
  const out = new Float32Array(w * h);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < width; i++) {
        s += k[i] * data[clamp(y + offY[i], h) * w + clamp(x + offX[i], w)];
      }
      out[y * w + x] = s / sum;
    }
  }
  return clip01({ w, h, data: out });
}

/** shear, severity 2: shear angle 0.4 rad with a random sign, about the centre. */
function shear(img: Gray, rng: Rng): Gray {
  const s = 0.4 * randomSign(rng);
  // skimage AffineTransform(shear=s): [[1, -sin s], [0, cos s]].
  return clip01(warpAffine(img, centred(1, -Math.sin(s), 0, Math.cos(s))));
}

/** scale, severity 3: inverse map scaled by 1/0.7 about the centre (the digit shrinks to 70%). */
function scale(img: Gray): Gray {
  const s = 1 / 0.7;
  return clip01(warpAffine(img, centred(s, 0, 0, s)));
}

/** rotate, severity 2: 0.4 rad (~23 degrees) with a random sign, about the centre. */
function rotate(img: Gray, rng: Rng): Gray {
  const r = 0.4 * randomSign(rng);
  return clip01(warpAffine(img, centred(Math.cos(r), -Math.sin(r), Math.sin(r), Math.cos(r))));
}

/** brightness, severity 5: +0.5 on HSV value; for a gray image that is clip(x + 0.5, 0, 1). */
function brightness(img: Gray): Gray {
  const out = copy(img);
  for (let i = 0; i < out.data.length; i++) out.data[i] += 0.5;
  return clip01(out);
}

/** translate, severity 3: 3 pixels along each axis, each with a random sign. */
function translate(img: Gray, rng: Rng): Gray {
  const dx = 3 * randomSign(rng);
  const dy = 3 * randomSign(rng);
  return clip01(warpAffine(img, [1, 0, dx, 0, 1, dy]));
}

/** stripe: the 7 leftmost and 7 rightmost columns inverted (1 - x). */
function stripe(img: Gray): Gray {
  const out = copy(img);
  for (let r = 0; r < img.h; r++) {
    for (let c = 0; c < img.w; c++) {
      if (c < 7 || c >= 21) out.data[r * img.w + c] = 1 - img.data[r * img.w + c];
    }
  }
  return out;
}

/**
 * The plasma fractal (diamond-square) MNIST-C's fog uses: a 256 x 256 periodic height map, wibble
 * starting at 100 and divided by `decay` per level, each new point the mean of its 4 neighbours
 * plus wibble * uniform(-wibble, wibble); normalised to [0, 1].
 */
export function plasmaFractal(rng: Rng, decay: number, mapsize = 256): Float64Array {
  const n = mapsize;
  if (n < 2 || (n & (n - 1)) !== 0) throw new Error(`plasma map size ${n} is not a power of two`);
  const m = new Float64Array(n * n);
  const mask = n - 1;
  // Periodic indexing (numpy's roll in MNIST-C's version); n is a power of two.
  const at = (r: number, c: number) => m[((r & mask) * n) | (c & mask)];
  let step = n;
  let wibble = 100;
  const noise = () => wibble * (-wibble + 2 * wibble * rng.next());
  while (step >= 2) {
    const half = step / 2;
    // Squares: centre = mean of the 4 corners (periodic).
    for (let r = 0; r < n; r += step) {
      for (let c = 0; c < n; c += step) {
        const s = at(r, c) + at(r + step, c) + at(r, c + step) + at(r + step, c + step);
        m[(r + half) * n + (c + half)] = s / 4 + noise();
      }
    }
    // Diamonds on the rows of the corners: left / right corners + centres above / below.
    for (let r = 0; r < n; r += step) {
      for (let c = 0; c < n; c += step) {
        const s = at(r + half, c + half) + at(r - half, c + half) + at(r, c) + at(r, c + step);
        m[r * n + (c + half)] = s / 4 + noise();
      }
    }
    // Diamonds on the columns of the corners.
    for (let r = 0; r < n; r += step) {
      for (let c = 0; c < n; c += step) {
        const s = at(r + half, c + half) + at(r + half, c - half) + at(r, c) + at(r + step, c);
        m[(r + half) * n + c] = s / 4 + noise();
      }
    }
    step = half;
    wibble /= decay;
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of m) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let i = 0; i < m.length; i++) m[i] = (m[i] - lo) / (hi - lo);
  return m;
}

/**
 * fog, severity 5: (3.0, 1.4). x + 3 * plasma(wibble decay 1.4)[:28, :28], rescaled by
 * max(x) / (max(x) + 3), clipped.
 */
function fog(img: Gray, rng: Rng): Gray {
  const [amount, decay] = [3, 1.4];
  const map = plasmaFractal(rng, decay);
  let maxVal = 0;
  for (const v of img.data) maxVal = Math.max(maxVal, v);
  const out = copy(img);
  for (let r = 0; r < img.h; r++) {
    for (let c = 0; c < img.w; c++) {
      const i = r * img.w + c;
      out.data[i] = ((img.data[i] + amount * map[r * 256 + c]) * maxVal) / (maxVal + amount);
    }
  }
  return clip01(out);
}

/**
 * spatter, severity 4: (0.65, 0.3, 1, 0.65, 1.5, mud). A N(0.65, 0.3^2) layer blurred with
 * sigma 1, thresholded at 0.65 into a mask, the mask blurred with sigma 1.5 and kept where
 * >= 0.8; masked pixels become x (1 - m) + (63/255) m (gray mud blobs).
 */
function spatter(img: Gray, rng: Rng): Gray {
  const [loc, sd, sigma, threshold, maskSigma] = [0.65, 0.3, 1, 0.65, 1.5];
  const n = img.w * img.h;
  const liquid = new Float32Array(n);
  for (let i = 0; i < n; i++) liquid[i] = loc + sd * rng.normal();
  const blurred = gaussian({ w: img.w, h: img.h, data: liquid }, sigma).data;
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = blurred[i] > threshold ? 1 : 0;
  const m = gaussian({ w: img.w, h: img.h, data: mask }, maskSigma).data;
  const out = copy(img);
  for (let i = 0; i < n; i++) {
    const mi = m[i] < 0.8 ? 0 : m[i];
    out.data[i] = img.data[i] * (1 - mi) + (63 / 255) * mi;
  }
  return clip01(out);
}

/**
 * dotted_line: a line from column 0, row randint(0, 27) to column 27, row randint(0, 27), with
 * alternate 2-column bands removed (columns 0-1, 4-5, ... off), added to the image.
 */
function dottedLine(img: Gray, rng: Rng): Gray {
  const r0 = randint(rng, 0, 27), r1 = randint(rng, 0, 27);
  const line = lineFromPoints(0, r0, 27, r1).data;
  const out = copy(img);
  for (let r = 0; r < img.h; r++) {
    for (let c = 0; c < img.w; c++) {
      const on = Math.floor(c / 2) % 2 === 1;
      if (on) out.data[r * img.w + c] += line[r * img.w + c];
    }
  }
  return clip01(out);
}

/**
 * zigzag: a zigzag (segments of length 2 along, amplitude 2 across) from column 2 to 25 along a
 * line from row r0 = randint(0, 27) to r1 = r0 + randint(-5, 5), drawn segment by segment with
 * MNIST-C's line and added to the image (clipped after each segment).
 */
function zigzag(img: Gray, rng: Rng): Gray {
  const [a, b] = [2, 2];
  const [c0, c1] = [2, 25];
  const r0 = randint(rng, 0, 27);
  const r1 = r0 + randint(rng, -5, 5);
  const theta = Math.atan((r1 - r0) / (c1 - c0));
  const d = (c1 - c0) / Math.cos(theta);
  const pts: [number, number][] = [[0, 0]];
  let ri = 0;
  for (let i = 0; i < Math.floor((d - a) / (2 * a)) + 1; i++) {
    ri = (i % 2 === 0 ? 1 : -1) * b;
    pts.push([(2 * i + 1) * a, ri]);
  }
  const maxC = 2 * a * Math.floor(d / (2 * a));
  if (d !== maxC) pts.push([d, ri / (2 * (d - maxC))]);
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const cs = pts.map(([c, r]) => cos * c - sin * r + c0);
  const rs = pts.map(([c, r]) => sin * c + cos * r + r0);
  const out = copy(img);
  for (let i = 1; i < pts.length; i++) {
    const line = lineFromPoints(cs[i - 1], rs[i - 1], cs[i], rs[i]).data;
    for (let j = 0; j < out.data.length; j++) out.data[j] += line[j];
    clip01(out);
  }
  return out;
}

/** canny_edges: the binary Canny edge map (scikit-image defaults, see ./canny.ts). */
function cannyEdges(img: Gray): Gray {
  return canny(img);
}

/** The 15 corruptions, in MNIST-C's order. */
export const MNIST_C: readonly Corruption[] = [
  {
    name: "shot_noise",
    description: "Poisson noise, x ~ Poisson(3x)/3",
    random: true,
    apply: shotNoise,
  },
  {
    name: "impulse_noise",
    description: "salt & pepper on 17% of pixels",
    random: true,
    apply: impulseNoise,
  },
  {
    name: "glass_blur",
    description: "blur sigma 0.7, local pixel swaps (2 passes), blur again",
    random: true,
    apply: glassBlur,
  },
  {
    name: "motion_blur",
    description: "one-sided Gaussian line blur, radius 10, sigma 3, angle in [-45, 45] deg",
    random: true,
    apply: motionBlur,
  },
  { name: "shear", description: "shear 0.4 rad, random direction", random: true, apply: shear },
  { name: "scale", description: "shrink to 70% about the centre", random: false, apply: scale },
  { name: "rotate", description: "rotate 0.4 rad, random direction", random: true, apply: rotate },
  { name: "brightness", description: "x + 0.5, clipped", random: false, apply: brightness },
  {
    name: "translate",
    description: "shift 3 px on each axis, random directions",
    random: true,
    apply: translate,
  },
  {
    name: "stripe",
    description: "invert the 7 leftmost and rightmost columns",
    random: false,
    apply: stripe,
  },
  {
    name: "fog",
    description: "plasma-fractal fog (3.0, decay 1.4), rescaled",
    random: true,
    apply: fog,
  },
  { name: "spatter", description: "gray mud blobs (severity 4)", random: true, apply: spatter },
  {
    name: "dotted_line",
    description: "dashed line across the image",
    random: true,
    apply: dottedLine,
  },
  { name: "zigzag", description: "zigzag line across the image", random: true, apply: zigzag },
  {
    name: "canny_edges",
    description: "binary Canny edge map (sigma 1)",
    random: false,
    apply: cannyEdges,
  },
];
