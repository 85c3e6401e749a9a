/**
 * Audio front end of the keyword-spotting task, in plain TypeScript (no dependency): WAV parsing,
 * band-limited resampling, and log-mel features. All arithmetic is float64 with fixed operation
 * order, so the same samples give bit-identical features on every machine.
 *
 * Features ({@link LOGMEL}): 16 kHz mono, 25 ms Hann windows (400 samples) every 20 ms (320
 * samples) over a 1 s clip = 49 frames, 512-point FFT, power spectrum, 40 triangular mel filters
 * (HTK mel scale, 20 Hz to 8 kHz, continuous-frequency weights), natural log of (energy + 1e-6),
 * then the whole 49x40 matrix standardised per utterance (mean 0, standard deviation 1), which
 * removes the loudness of the voice and the recording.
 */

import { UserError } from "../errors.ts";

/** Mono samples in [-1, 1] at `sampleRate` Hz. */
export interface Audio {
  sampleRate: number;
  samples: Float64Array;
}

/**
 * Parses a RIFF/WAVE file of 16-bit PCM (mono, or the first channel of several). A data chunk
 * whose declared size runs past the end (streamed output, as `espeak-ng --stdout` writes) is read
 * to the end of the bytes.
 */
export function parseWav(bytes: Uint8Array, what = "WAV data"): Audio {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new UserError(`corrupt ${what}: not a RIFF/WAVE file`);
  }
  let at = 12;
  let format: { channels: number; rate: number; bits: number; codec: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) {
        throw new UserError(`corrupt ${what}: short fmt chunk`);
      }
      format = {
        codec: v.getUint16(body, true),
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        bits: v.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!format) throw new UserError(`corrupt ${what}: data chunk before fmt chunk`);
      if (format.codec !== 1 || format.bits !== 16 || format.channels < 1) {
        throw new UserError(
          `unsupported ${what}: codec ${format.codec}, ${format.bits} bits, ` +
            `${format.channels} channels (expected 16-bit PCM)`,
        );
      }
      const end = Math.min(bytes.length, body + size);
      const frame = 2 * format.channels;
      const n = Math.floor((end - body) / frame);
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) samples[i] = v.getInt16(body + i * frame, true) / 32768;
      return { sampleRate: format.rate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new UserError(`corrupt ${what}: no data chunk`);
}

/**
 * Resamples with a Hann-windowed sinc low-pass (16 zero crossings each side, cut-off at the lower
 * of the two Nyquist frequencies), polyphase: for rates from = M g, to = L g the fractional input
 * position of output n repeats every L outputs, so the L tap sets are computed once per pair.
 * Output length: round(n * to / from).
 */
export function resample(x: Float64Array, from: number, to: number): Float64Array {
  if (from === to) return x.slice();
  const g = gcd(from, to);
  const [M, L] = [from / g, to / g];
  const { first, taps } = polyphase(from, to);
  const width = taps.length / L;
  const out = new Float64Array(Math.round((x.length * L) / M));
  for (let n = 0; n < out.length; n++) {
    const base = Math.floor((n * M) / L);
    const phase = (n * M) % L;
    const start = base + first[phase];
    const w = phase * width;
    const j0 = Math.max(0, -start);
    const j1 = Math.min(width, x.length - start);
    let s = 0;
    for (let j = j0; j < j1; j++) s += x[start + j] * taps[w + j];
    out[n] = s;
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const phaseTables = new Map<string, { first: Int32Array; taps: Float64Array }>();

/** Per phase: the offset of its first input sample from floor(position), and its taps. */
function polyphase(from: number, to: number): { first: Int32Array; taps: Float64Array } {
  const key = `${from}:${to}`;
  const hit = phaseTables.get(key);
  if (hit) return hit;
  const g = gcd(from, to);
  const L = to / g;
  const fc = Math.min(1, to / from);
  const half = 16 / fc;
  const width = 2 * Math.ceil(half) + 1;
  const first = new Int32Array(L);
  const taps = new Float64Array(L * width);
  for (let phase = 0; phase < L; phase++) {
    const frac = phase / L;
    first[phase] = Math.ceil(frac - half);
    for (let j = 0; j < width; j++) {
      const d = frac - (first[phase] + j);
      if (Math.abs(d) > half) continue;
      const arg = Math.PI * fc * d;
      const sinc = d === 0 ? 1 : Math.sin(arg) / arg;
      taps[phase * width + j] = fc * sinc * 0.5 * (1 + Math.cos((Math.PI * d) / half));
    }
  }
  const t = { first, taps };
  phaseTables.set(key, t);
  return t;
}

/** Log-mel parameters (see the module comment). */
export const LOGMEL = {
  sampleRate: 16_000,
  clipSamples: 16_000,
  window: 400,
  hop: 320,
  fft: 512,
  mels: 40,
  fmin: 20,
  fmax: 8_000,
  floor: 1e-6,
} as const;

/** Frames of a clip: 1 + floor((clip - window) / hop). */
export const LOGMEL_FRAMES = 1 + Math.floor((LOGMEL.clipSamples - LOGMEL.window) / LOGMEL.hop);

const hz2mel = (f: number) => 2595 * Math.log10(1 + f / 700);
const mel2hz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** Triangular mel filters over the FFT bins 0..fft/2: mels rows of fft/2+1 weights. */
export function melFilterbank(p = LOGMEL): Float64Array[] {
  const bins = p.fft / 2 + 1;
  const edges = Array.from(
    { length: p.mels + 2 },
    (_, i) => mel2hz(hz2mel(p.fmin) + ((hz2mel(p.fmax) - hz2mel(p.fmin)) * i) / (p.mels + 1)),
  );
  return Array.from({ length: p.mels }, (_, m) => {
    const [l, c, r] = [edges[m], edges[m + 1], edges[m + 2]];
    const w = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const f = (k * p.sampleRate) / p.fft;
      w[k] = Math.max(0, Math.min((f - l) / (c - l), (r - f) / (r - c)));
    }
    return w;
  });
}

const twiddles = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  let tw = twiddles.get(n);
  if (!tw) {
    tw = {
      cos: Float64Array.from({ length: n / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / n)),
      sin: Float64Array.from({ length: n / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / n)),
    };
    twiddles.set(n, tw);
  }
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const r = re[i];
      re[i] = re[j];
      re[j] = r;
      const m = im[i];
      im[i] = im[j];
      im[j] = m;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = tw.cos[k * step];
        const wi = tw.sin[k * step];
        const a = i + k;
        const b = a + half;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

let bank: Float64Array[] | undefined;
let hann: Float64Array | undefined;
let support: [number, number][] | undefined;

/**
 * Standardised log-mel features of a 16 kHz clip of {@link LOGMEL}.clipSamples samples:
 * {@link LOGMEL_FRAMES} x {@link LOGMEL}.mels floats, frame-major, written to `out` at `offset`.
 */
export function logMel(clip: Float64Array, out: Float32Array, offset = 0): void {
  const p = LOGMEL;
  if (clip.length !== p.clipSamples) {
    throw new Error(`logMel expects ${p.clipSamples} samples, got ${clip.length}`);
  }
  bank ??= melFilterbank();
  // The bins where each filter is non-zero (summing only those gives the same values).
  support ??= bank.map((w) => {
    let lo = 0;
    while (lo < w.length && w[lo] === 0) lo++;
    let hi = w.length;
    while (hi > lo && w[hi - 1] === 0) hi--;
    return [lo, hi] as [number, number];
  });
  hann ??= Float64Array.from(
    { length: p.window },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / p.window),
  );
  const feats = new Float64Array(LOGMEL_FRAMES * p.mels);
  const re = new Float64Array(p.fft);
  const im = new Float64Array(p.fft);
  const power = new Float64Array(p.fft / 2 + 1);
  for (let t = 0; t < LOGMEL_FRAMES; t++) {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < p.window; i++) re[i] = clip[t * p.hop + i] * hann[i];
    fft(re, im);
    for (let k = 0; k < power.length; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    for (let m = 0; m < p.mels; m++) {
      const w = bank[m];
      const [lo, hi] = support![m];
      let e = 0;
      for (let k = lo; k < hi; k++) e += w[k] * power[k];
      feats[t * p.mels + m] = Math.log(e + p.floor);
    }
  }
  let mean = 0;
  for (const v of feats) mean += v;
  mean /= feats.length;
  let variance = 0;
  for (const v of feats) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / feats.length) + 1e-5;
  for (let i = 0; i < feats.length; i++) out[offset + i] = (feats[i] - mean) / std;
}
