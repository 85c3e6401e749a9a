/**
 * Keyword spotting on spoken words synthesised by eSpeak NG (WebAssembly build from npm,
 * espeak.ts): the ten Speech Commands keywords (yes, no, up, down, left, right, on, off, stop, go)
 * said by many synthetic "speakers" (English accents x voice variants), at seeded speeds and
 * pitches, placed at a seeded offset in a 1 s clip over seeded background noise, as log-mel
 * features (audio.ts). The reference benchmarked Google Speech Commands, which cannot be downloaded
 * here; this keeps its shape (ten keywords, 1 s clips, speaker-disjoint test set) with data
 * generated on the machine, identical on every machine (one synthesizer, one digest).
 *
 * Speakers: every `accent+variant` of the config says each keyword once at speed 160, pitch 50;
 * voices that produce byte-identical audio for any keyword are one speaker under two names (in
 * eSpeak NG, `en-us-nyc` says "yes" exactly as `en-us` does), and only the first of them is kept,
 * so no speaker can sit on both sides of the split. The kept voices are listed in `speakers.txt`.
 *
 * One utterance, from its own generator (seeded by config seed, voice, word and repetition):
 * speed (words per minute) and pitch (0-99) uniform integers in the config's ranges;
 * `espeak-ng -v VOICE -s SPEED -p PITCH WORD`; resampled to 16 kHz; trimmed to the samples between
 * the first and last one above 2% of the peak; placed at a uniform offset in a 16,000-sample clip
 * (the centre second if longer); plus noise at an SNR uniform in the config's range (dB, relative
 * to the trimmed speech's RMS): Gaussian noise through a one-pole low-pass filter with a
 * coefficient uniform in [0, 0.95) (white to brown-ish), scaled to the target RMS. Features:
 * [49 frames, 40 log-mel bands] per utterance.
 *
 * Splits: a fixed {@link KWS_TEST_SPEAKER_FRACTION} of the kept speakers (seed
 * {@link KWS_TEST_SPLIT_SEED}) forms the test split, so test voices are never heard in training;
 * a share (the validation fraction, default 10%) of the other speakers, drawn with the run seed,
 * forms the validation split, so validation voices are not heard in training either.
 *
 * Cache: the generated set is a pure function of (synthesizer, config, feature parameters). It is
 * written once to `CACHE/kws-<synthesizer tag>-<params hash>/` (`features.f32` float32 LE,
 * `labels.u8`, `speakers.txt`, `manifest.json` with their SHA-256), atomically (a temporary
 * directory renamed into place), where CACHE is `KwsOptions.cacheDir`, else `$BIBENCH_CACHE_DIR`,
 * else `$XDG_CACHE_HOME/bibench`, else `$HOME/.cache/bibench`, else `.cache/bibench` in the working
 * directory. Every load hashes the files and checks them against the manifest and, for the default
 * config, against {@link KWS_KNOWN_DIGESTS}: the digests go into `Dataset.digests`.
 */

import { join } from "node:path";
import { UserError } from "../errors.ts";
import { deriveSeed, Rng } from "../rng.ts";
import { writeFileAtomic } from "../atomic.ts";
import {
  buildSplits,
  checkValFraction,
  type Dataset,
  DEFAULT_VAL_FRACTION,
  type FileDigest,
  type LoadOptions,
  memoize,
} from "./dataset.ts";
import { digestOf, sha256Hex } from "./digest.ts";
import { LOGMEL, logMel, LOGMEL_FRAMES, parseWav, resample } from "./audio.ts";
import { loadEspeak, type Synth, type SynthIdentity } from "./espeak.ts";

/** The keywords, in label order. */
export const KWS_WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

/** What the generated set is made of. */
export interface KwsConfig {
  /** espeak-ng voices (languages) used as accents. */
  accents: string[];
  /** espeak-ng voice variants (`+m1` ...); a speaker is one accent with one variant. */
  variants: string[];
  /** Utterances of each word per speaker. */
  repeats: number;
  /** Speed range, words per minute (inclusive). */
  speed: [number, number];
  /** Pitch range, 0-99 (inclusive). */
  pitch: [number, number];
  /** Signal-to-noise ratio range, dB. */
  snrDb: [number, number];
  seed: number;
}

/**
 * The benchmark's set: 7 accents x 12 variants = 84 voices (all distinct in eSpeak NG 1.52-dev),
 * 3 repetitions of each word: 2,520 utterances (17 test speakers: 510 test utterances).
 */
export const KWS_DEFAULT_CONFIG: KwsConfig = {
  accents: [
    "en",
    "en-us",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-gb-x-rp",
  ],
  variants: ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "croak"],
  repeats: 3,
  speed: [120, 200],
  pitch: [25, 75],
  snrDb: [5, 30],
  seed: 1,
};

/** Share of speakers held out for test, and the seed choosing them. */
export const KWS_TEST_SPEAKER_FRACTION = 0.2;
export const KWS_TEST_SPLIT_SEED = 50_000;

/**
 * SHA-256 of the generated files per cache name (`kws-<synthesizer tag>-<hash>/<file>`), measured
 * with npm espeak-ng@1.0.2 and the default config.
 */
export const KWS_KNOWN_DIGESTS: Readonly<Record<string, string>> = {
  "kws-espeak-ng-1.0.2-10d24bb7-fb8fb10555ed/features.f32":
    "3010437a86d4c3904a4d072adf445cc5a84bb93accea9ab5796c16b07bc1435e",
  "kws-espeak-ng-1.0.2-10d24bb7-fb8fb10555ed/labels.u8":
    "c8e51ee5f4ac28246fdb3eb40d5bf67df52ee3905de95b9eabe0ddcd0b395c76",
  "kws-espeak-ng-1.0.2-10d24bb7-fb8fb10555ed/speakers.txt":
    "e4130a17a05ea8803f121d4cc00520d6f3d53f26e7b5af6c7c7c09ab64311536",
};

/**
 * Version of the generation procedure, part of the cache name: bump it whenever the code that
 * turns the synthesizer's output into features changes (makeClip, audio.ts, the speaker probe),
 * so stale sets are not reused, and re-record {@link KWS_KNOWN_DIGESTS}.
 */
export const KWS_FORMAT = 2;

/** How each voice says each keyword once to tell speakers apart (see the module comment). */
export const KWS_PROBE = { speed: 160, pitch: 50 } as const;

/** Options of {@link loadKws} beyond the common ones. */
export interface KwsOptions {
  config?: KwsConfig;
  /** Root of the cache (default: see the module comment). */
  cacheDir?: string;
}

/** The synthesizer's short name in cache directory names: `espeak-ng@1.0.2` + module digest. */
export function synthTag(id: SynthIdentity): string {
  return `${id.package.replace("@", "-")}-${id.wasmSha256.slice(0, 8)}`;
}

/** The voices of a config, accent-major: `accent+variant`. */
export function voices(cfg: KwsConfig): string[] {
  return cfg.accents.flatMap((a) => cfg.variants.map((v) => `${a}+${v}`));
}

/**
 * The config's distinct speakers. Each voice says each keyword once ({@link KWS_PROBE}); two voices
 * whose audio is byte-identical for any keyword are one speaker (one timbre under two names),
 * transitively, and only the first voice of each such group is kept. `probe` holds each voice's
 * per-word digests; `sameAs` maps each dropped voice to the kept voice of its group.
 */
export async function distinctSpeakers(
  cfg: KwsConfig,
  synth: Synth,
): Promise<{ kept: string[]; probe: Record<string, string[]>; sameAs: Record<string, string> }> {
  const all = voices(cfg);
  const probe: Record<string, string[]> = {};
  const parent = all.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const owner = new Map<string, number>();
  for (let i = 0; i < all.length; i++) {
    probe[all[i]] = [];
    for (const text of KWS_WORDS) {
      const digest = await sha256Hex(synth.speak({ voice: all[i], ...KWS_PROBE, text }));
      probe[all[i]].push(digest);
      const j = owner.get(digest);
      if (j === undefined) owner.set(digest, i);
      else {
        // Union, keeping the earlier voice as the group's representative.
        const [a, b] = [find(i), find(j)];
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const kept: string[] = [];
  const sameAs: Record<string, string> = {};
  all.forEach((v, i) => (find(i) === i ? kept.push(v) : (sameAs[v] = all[find(i)])));
  return { kept, probe, sameAs };
}

/** One utterance of the enumeration, and its draws. */
export interface Utterance {
  index: number;
  /** Index of the voice in the speaker list. */
  speaker: number;
  voice: string;
  word: number;
  repeat: number;
  speed: number;
  pitch: number;
}

/** Every utterance of `speakers` (voices), speaker-major, then word, then repetition. */
export function utterances(cfg: KwsConfig, speakers: string[]): Utterance[] {
  const out: Utterance[] = [];
  speakers.forEach((voice, speaker) => {
    for (let word = 0; word < KWS_WORDS.length; word++) {
      for (let repeat = 0; repeat < cfg.repeats; repeat++) {
        const rng = uttRng(cfg, voice, word, repeat);
        out.push({
          index: out.length,
          speaker,
          voice,
          word,
          repeat,
          speed: cfg.speed[0] + rng.int(cfg.speed[1] - cfg.speed[0] + 1),
          pitch: cfg.pitch[0] + rng.int(cfg.pitch[1] - cfg.pitch[0] + 1),
        });
      }
    }
  });
  return out;
}

function uttRng(cfg: KwsConfig, voice: string, word: number, repeat: number): Rng {
  return new Rng(deriveSeed(cfg.seed, `kws:${voice}:${word}:${repeat}`));
}

/**
 * The 1 s, 16 kHz clip of one utterance from espeak-ng's WAV output (see the module comment).
 * The draws continue the utterance's generator after speed and pitch.
 */
export function makeClip(wav: Uint8Array, u: Utterance, cfg: KwsConfig): Float64Array {
  const rng = uttRng(cfg, u.voice, u.word, u.repeat);
  rng.next(); // speed
  rng.next(); // pitch
  const audio = parseWav(wav, `espeak-ng output for "${KWS_WORDS[u.word]}" (${u.voice})`);
  const x = resample(audio.samples, audio.sampleRate, LOGMEL.sampleRate);
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  let first = 0;
  let last = x.length - 1;
  if (peak > 0) {
    while (Math.abs(x[first]) <= 0.02 * peak) first++;
    while (Math.abs(x[last]) <= 0.02 * peak) last--;
  }
  const n = LOGMEL.clipSamples;
  let speech = x.subarray(first, last + 1);
  if (speech.length > n) {
    const cut = Math.floor((speech.length - n) / 2);
    speech = speech.subarray(cut, cut + n);
  }
  const clip = new Float64Array(n);
  clip.set(speech, rng.int(n - speech.length + 1));

  let power = 0;
  for (const v of speech) power += v * v;
  const rms = Math.sqrt(power / Math.max(1, speech.length));
  const snr = cfg.snrDb[0] + rng.next() * (cfg.snrDb[1] - cfg.snrDb[0]);
  const a = rng.next() * 0.95;
  const noise = new Float64Array(n);
  let prev = 0;
  let np = 0;
  for (let i = 0; i < n; i++) {
    prev = a * prev + rng.normal();
    noise[i] = prev;
    np += prev * prev;
  }
  const scale = rms / 10 ** (snr / 20) / Math.sqrt(np / n);
  for (let i = 0; i < n; i++) clip[i] += scale * noise[i];
  return clip;
}

/** The default cache root (see the module comment). */
export function defaultCacheRoot(): string {
  const env = (k: string) => {
    try {
      return Deno.env.get(k) || undefined;
    } catch {
      return undefined;
    }
  };
  const explicit = env("BIBENCH_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "bibench");
  const home = env("HOME");
  if (home) return join(home, ".cache", "bibench");
  return join(".cache", "bibench");
}

/** The cache directory name of a set: `kws-<synthesizer tag>-<first 12 hex of the params' SHA-256>`. */
export async function kwsCacheName(synth: SynthIdentity, cfg: KwsConfig): Promise<string> {
  const params = JSON.stringify({
    format: KWS_FORMAT,
    synth,
    words: KWS_WORDS,
    probe: KWS_PROBE,
    cfg,
    logmel: LOGMEL,
  });
  const hash = await sha256Hex(new TextEncoder().encode(params));
  return `kws-${synthTag(synth)}-${hash.slice(0, 12)}`;
}

/** The files of a cached set, in digest order. */
const FILES = ["features.f32", "labels.u8", "speakers.txt"] as const;

interface Manifest {
  format: number;
  synth: SynthIdentity;
  config: KwsConfig;
  logmel: typeof LOGMEL;
  /** Each voice's probe digests (per keyword), and the dropped voices' kept counterparts. */
  probe: Record<string, string[]>;
  sameAs: Record<string, string>;
  utterances: number;
  shape: [number, number];
  files: Record<string, { sha256: string; bytes: number }>;
}

interface RawKws {
  features: Float32Array;
  labels: Uint8Array;
  speakers: Uint16Array;
  /** The kept voices, by speaker index. */
  voices: string[];
  digests: FileDigest[];
  dir: string;
  synth: SynthIdentity;
}

/** The log-mel features of `list`, one [49, 40] block per utterance, in order. */
export function utteranceFeatures(cfg: KwsConfig, list: Utterance[], synth: Synth): Float32Array {
  const per = LOGMEL_FRAMES * LOGMEL.mels;
  const out = new Float32Array(list.length * per);
  list.forEach((u, k) => {
    const wav = synth.speak({
      voice: u.voice,
      speed: u.speed,
      pitch: u.pitch,
      text: KWS_WORDS[u.word],
    });
    logMel(makeClip(wav, u, cfg), out, k * per);
  });
  return out;
}

/** {@link utteranceFeatures} in a worker thread (kws_worker.ts). */
function featuresInWorker(cfg: KwsConfig, list: Utterance[]): Promise<Float32Array> {
  const worker = new Worker(new URL("./kws_worker.ts", import.meta.url).href, { type: "module" });
  return new Promise<Float32Array>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ features?: Float32Array; error?: string }>) => {
      if (e.data.features) resolve(e.data.features);
      else reject(new UserError(`keyword-spotting generation failed: ${e.data.error}`));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new UserError(`keyword-spotting generation failed: ${e.message}`));
    };
    worker.postMessage({ cfg, list });
  }).finally(() => worker.terminate());
}

/** Generates the set into `dir` (a fresh directory). */
async function generate(dir: string, cfg: KwsConfig, synth: Synth): Promise<void> {
  const { kept, probe, sameAs } = await distinctSpeakers(cfg, synth);
  const list = utterances(cfg, kept);
  const per = LOGMEL_FRAMES * LOGMEL.mels;
  const features = new Float32Array(list.length * per);
  const labels = Uint8Array.from(list, (u) => u.word);
  // One share per core: the other shares go to worker threads with their own synthesizer, this
  // thread makes the first. Every utterance depends only on itself, so the bytes are the same.
  const shares = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  const size = Math.ceil(list.length / shares);
  const parts = Array.from({ length: shares }, (_, k) => list.slice(k * size, (k + 1) * size));
  const others = parts.slice(1).map((part) => featuresInWorker(cfg, part));
  features.set(utteranceFeatures(cfg, parts[0], synth), 0);
  (await Promise.all(others)).forEach((f, k) => features.set(f, (k + 1) * size * per));
  const bytes: Record<(typeof FILES)[number], Uint8Array> = {
    "features.f32": new Uint8Array(features.buffer),
    "labels.u8": labels,
    "speakers.txt": new TextEncoder().encode(kept.join("\n") + "\n"),
  };
  const files: Manifest["files"] = {};
  for (const f of FILES) {
    files[f] = { sha256: await sha256Hex(bytes[f]), bytes: bytes[f].length };
    await Deno.writeFile(join(dir, f), bytes[f]);
  }
  const manifest: Manifest = {
    format: KWS_FORMAT,
    synth: synth.identity,
    config: cfg,
    logmel: LOGMEL,
    probe,
    sameAs,
    utterances: list.length,
    shape: [LOGMEL_FRAMES, LOGMEL.mels],
    files,
  };
  await writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function readOrGenerate(root: string, cfg: KwsConfig): Promise<RawKws> {
  const synth = await loadEspeak();
  const name = await kwsCacheName(synth.identity, cfg);
  const dir = join(root, name);
  if (!(await exists(join(dir, "manifest.json")))) {
    try {
      await Deno.mkdir(root, { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create the cache directory ${root}: ${(e as Error).message}`);
    }
    const tmp = await Deno.makeTempDir({ dir: root, prefix: `${name}.tmp-` });
    console.error(
      `kws: generating about ${voices(cfg).length * KWS_WORDS.length * cfg.repeats} ` +
        `utterances with ${synth.identity.package} into ${dir} (once; about 20 ms each)`,
    );
    try {
      await generate(tmp, cfg, synth);
      try {
        await Deno.rename(tmp, dir);
      } catch (e) {
        // Another process finished the same set first: keep theirs (it is the same bytes).
        if (!(await exists(join(dir, "manifest.json")))) throw e;
      }
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }
  return { ...(await readCache(dir, name, cfg)), synth: synth.identity };
}

async function readCache(
  dir: string,
  name: string,
  cfg: KwsConfig,
): Promise<Omit<RawKws, "synth">> {
  const fix = `delete ${dir} to generate it again`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  } catch (e) {
    throw new UserError(`corrupt keyword-spotting cache ${dir}: ${(e as Error).message}; ${fix}`);
  }
  const digests: FileDigest[] = [];
  const files: Record<string, Uint8Array> = {};
  for (const f of FILES) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(join(dir, f));
    } catch (e) {
      throw new UserError(
        `corrupt keyword-spotting cache ${dir}: cannot read ${f} (${(e as Error).message}); ${fix}`,
      );
    }
    const d = await digestOf(`${name}/${f}`, bytes);
    const want = manifest.files?.[f]?.sha256;
    if (want !== d.sha256) {
      throw new UserError(
        `SHA-256 mismatch for keyword-spotting cache file ${join(dir, f)}: manifest says ` +
          `${want}, got ${d.sha256}; ${fix}`,
      );
    }
    const known = KWS_KNOWN_DIGESTS[d.file];
    if (known !== undefined && known !== d.sha256) {
      throw new UserError(
        `the generated keyword-spotting file ${d.file} has SHA-256 ${d.sha256}, but this ` +
          `synthesizer and config are recorded as producing ${known}: results would not ` +
          `compare; ${fix}, or reinstall the npm package espeak-ng@1.0.2`,
      );
    }
    digests.push(d);
    files[f] = bytes;
  }
  const kept = new TextDecoder().decode(files["speakers.txt"]).split("\n").filter(Boolean);
  const all = new Set(voices(cfg));
  if (kept.length === 0 || kept.some((v) => !all.has(v)) || new Set(kept).size !== kept.length) {
    throw new UserError(`corrupt keyword-spotting cache ${dir}: bad speakers.txt; ${fix}`);
  }
  const list = utterances(cfg, kept);
  const per = LOGMEL_FRAMES * LOGMEL.mels;
  const fb = files["features.f32"];
  if (fb.length !== list.length * per * 4 || files["labels.u8"].length !== list.length) {
    throw new UserError(`corrupt keyword-spotting cache ${dir}: unexpected file sizes; ${fix}`);
  }
  const features = new Float32Array(fb.buffer.slice(fb.byteOffset, fb.byteOffset + fb.length));
  return {
    features,
    labels: files["labels.u8"],
    speakers: Uint16Array.from(list, (u) => u.speaker),
    voices: kept,
    digests,
    dir,
  };
}

/**
 * Loads the keyword-spotting task, generating and caching the set on first use. Samples are
 * [49, 40] log-mel frames; labels index {@link KWS_WORDS}. `opts.dir` is not used (the CLI's
 * --data-dir names the Fashion-MNIST directory); see {@link KwsOptions}.
 */
export async function loadKws(opts: LoadOptions = {}, kws: KwsOptions = {}): Promise<Dataset> {
  const cfg = kws.config ?? KWS_DEFAULT_CONFIG;
  const root = kws.cacheDir ?? defaultCacheRoot();
  const raw = await memoize(`kws:${root}:${JSON.stringify(cfg)}`, () => readOrGenerate(root, cfg));
  const { test, val } = speakerSplit(
    raw.voices.length,
    opts.seed ?? 0,
    checkValFraction(opts.valFraction ?? DEFAULT_VAL_FRACTION),
  );
  const testIdx: number[] = [];
  const trainVal: number[] = [];
  const valIdx: number[] = [];
  raw.speakers.forEach((s, i) => {
    if (test.has(s)) testIdx.push(i);
    else {
      trainVal.push(i);
      if (val.has(s)) valIdx.push(i);
    }
  });
  const pool = {
    data: raw.features,
    divisor: 1,
    labels: raw.labels,
    sampleSize: LOGMEL_FRAMES * LOGMEL.mels,
  };
  const splits = buildSplits(
    pool,
    Int32Array.from(trainVal),
    pool,
    Int32Array.from(testIdx),
    KWS_WORDS.length,
    val.size > 0 ? { ...opts, valIndices: Int32Array.from(valIdx) } : opts,
  );
  return {
    name: "kws",
    shape: [LOGMEL_FRAMES, LOGMEL.mels],
    numClasses: KWS_WORDS.length,
    classNames: [...KWS_WORDS],
    ...splits,
    digests: raw.digests.map((d) => ({ ...d })),
    source:
      `generated:${raw.synth.package} (eSpeak NG ${raw.synth.version}, ${raw.voices.length} ` +
      `speakers)`,
  };
}

/**
 * Which kept speakers (indices into the kept voices) test and validate: the test speakers are
 * fixed ({@link testSpeakers}); the validation speakers are a `valFraction` share of the others
 * (at least one, leaving at least one to train; none when fewer than two are left), drawn with the
 * run seed. The rest train.
 */
export function speakerSplit(
  speakers: number,
  seed: number,
  valFraction: number,
): { test: Set<number>; val: Set<number> } {
  const test = new Set(testSpeakers(speakers));
  const rest = Array.from({ length: speakers }, (_, i) => i).filter((s) => !test.has(s));
  const perm = new Rng(deriveSeed(seed, "kws-val-speakers")).permutation(rest.length);
  // At least one validation and one training speaker; with fewer than two there is no
  // speaker-level validation split (the loader then holds out utterances, as for images).
  const n = rest.length < 2
    ? 0
    : Math.min(rest.length - 1, Math.max(1, Math.round(valFraction * rest.length)));
  return { test, val: new Set(Array.from(perm.subarray(0, n), (k) => rest[k])) };
}

/** The test speakers (indices into the kept voices) of a set with `speakers` kept voices. */
export function testSpeakers(speakers: number): number[] {
  return [
    ...new Rng(KWS_TEST_SPLIT_SEED).permutation(speakers).subarray(
      0,
      Math.max(1, Math.round(KWS_TEST_SPEAKER_FRACTION * speakers)),
    ),
  ];
}
