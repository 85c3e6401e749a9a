/**
 * Keyword spotting on spoken words synthesised with Debian's `espeak-ng`: the ten Speech Commands
 * keywords (yes, no, up, down, left, right, on, off, stop, go) said by many synthetic "speakers"
 * (English accents x voice variants), at seeded speeds and pitches, placed at a seeded offset in a
 * 1 s clip over seeded background noise, as log-mel features (audio.ts). The reference benchmarked
 * Google Speech Commands, which cannot be downloaded here; this keeps its shape (ten keywords, 1 s
 * clips, speaker-disjoint test set) with data generated on the machine.
 *
 * One utterance, from its own generator (seeded by config seed, speaker, word and repetition):
 * speed (words per minute) and pitch (0-99) uniform integers in the config's ranges;
 * `espeak-ng --stdout -v ACCENT+VARIANT -s SPEED -p PITCH WORD`; resampled to 16 kHz; trimmed to
 * the samples between the first and last one above 2% of the peak; placed at a uniform offset in a
 * 16,000-sample clip (the centre second if longer); plus noise at an SNR uniform in the config's
 * range (dB, relative to the trimmed speech's RMS): Gaussian noise through a one-pole low-pass
 * filter with a coefficient uniform in [0, 0.95) (white to brown-ish), scaled to the target RMS.
 * Features: [49 frames, 40 log-mel bands] per utterance.
 *
 * Splits: a fixed {@link KWS_TEST_SPEAKER_FRACTION} of the speakers (seed
 * {@link KWS_TEST_SPLIT_SEED}) forms the test split, so test voices are never heard in training;
 * train / val are stratified from the rest with the run seed, as for MNIST.
 *
 * Cache: the generated set is a pure function of (espeak-ng version, config, feature parameters).
 * It is written once to `CACHE/kws-<espeak version>-<params hash>/` (`features.f32` float32 LE,
 * `labels.u8`, `manifest.json` with both SHA-256), atomically (a temporary directory renamed into
 * place), where CACHE is `KwsOptions.cacheDir`, else `$BIBENCH_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/bibench`, else `$HOME/.cache/bibench`. Every load hashes both files and checks
 * them against the manifest and, for a version / config whose digest is recorded in
 * {@link KWS_KNOWN_DIGESTS}, against the recorded digest: the digests go into `Dataset.digests`.
 */

import { join } from "node:path";
import { UserError } from "../errors.ts";
import { deriveSeed, Rng } from "../rng.ts";
import { writeFileAtomic } from "../atomic.ts";
import {
  buildSplits,
  type Dataset,
  type FileDigest,
  type LoadOptions,
  memoize,
} from "./dataset.ts";
import { digestOf, sha256Hex } from "./digest.ts";
import { LOGMEL, logMel, LOGMEL_FRAMES, parseWav, resample } from "./audio.ts";

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
 * The benchmark's set: 7 accents x 12 variants = 84 speakers, 3 repetitions of each word:
 * 2,520 utterances (17 test speakers: 510 test utterances).
 */
export const KWS_DEFAULT_CONFIG: KwsConfig = {
  accents: [
    "en",
    "en-us",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
  ],
  variants: ["m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "klatt", "croak"],
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
 * SHA-256 of the generated files per cache name (`kws-<version>-<hash>/<file>`), measured with
 * Debian 12's espeak-ng 1.51+dfsg-10+deb12u2 and the default config.
 */
export const KWS_KNOWN_DIGESTS: Readonly<Record<string, string>> = {
  "kws-1.51-cdcabf641303/features.f32":
    "360ad74eaac31f2357adc7c4bea6df744ab27f58e8ad136798a99f70366ee463",
  "kws-1.51-cdcabf641303/labels.u8":
    "c8e51ee5f4ac28246fdb3eb40d5bf67df52ee3905de95b9eabe0ddcd0b395c76",
};

/**
 * Version of the generation procedure, part of the cache name: bump it whenever the code that
 * turns espeak-ng's output into features changes (makeClip, audio.ts), so stale sets are not
 * reused, and re-record {@link KWS_KNOWN_DIGESTS}.
 */
export const KWS_FORMAT = 1;

/** Options of {@link loadKws} beyond the common ones. */
export interface KwsOptions {
  config?: KwsConfig;
  /** Root of the cache (default: see the module comment). */
  cacheDir?: string;
  /** The espeak-ng executable (default "espeak-ng" on PATH). */
  espeak?: string;
  /** Parallel espeak-ng processes while generating (default 2). */
  concurrency?: number;
}

const INSTALL = `install it with "apt-get install espeak-ng"`;

/** The espeak-ng version string ("1.51"), or a one-line UserError saying how to install it. */
export function espeakVersion(espeak = "espeak-ng"): Promise<string> {
  return memoize(`espeak-version:${espeak}`, async () => {
    const out = await runEspeak(espeak, ["--version"]);
    const text = new TextDecoder().decode(out);
    const m = /text-to-speech:\s*(\S+)/.exec(text);
    if (!m) throw new UserError(`cannot read the espeak-ng version from "${text.trim()}"`);
    return m[1];
  });
}

async function runEspeak(espeak: string, args: string[]): Promise<Uint8Array> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(espeak, { args, stdout: "piped", stderr: "piped", stdin: "null" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(
        `espeak-ng not found (${espeak}): the keyword-spotting task synthesises its words with ` +
          `it; ${INSTALL}`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new UserError(`cannot run ${espeak}: permission denied (run deno with --allow-run)`);
    }
    throw e;
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).replace(/\s+/g, " ").trim();
    throw new UserError(`${espeak} ${args.join(" ")} failed (exit ${out.code}): ${err}`);
  }
  return out.stdout;
}

/** One utterance of the enumeration, and its draws. */
export interface Utterance {
  index: number;
  speaker: number;
  voice: string;
  word: number;
  repeat: number;
  speed: number;
  pitch: number;
}

/** Every utterance of a config, speaker-major, then word, then repetition. */
export function utterances(cfg: KwsConfig): Utterance[] {
  const out: Utterance[] = [];
  let speaker = 0;
  for (const accent of cfg.accents) {
    for (const variant of cfg.variants) {
      for (let word = 0; word < KWS_WORDS.length; word++) {
        for (let repeat = 0; repeat < cfg.repeats; repeat++) {
          const rng = uttRng(cfg, speaker, word, repeat);
          out.push({
            index: out.length,
            speaker,
            voice: `${accent}+${variant}`,
            word,
            repeat,
            speed: cfg.speed[0] + rng.int(cfg.speed[1] - cfg.speed[0] + 1),
            pitch: cfg.pitch[0] + rng.int(cfg.pitch[1] - cfg.pitch[0] + 1),
          });
        }
      }
      speaker++;
    }
  }
  return out;
}

function uttRng(cfg: KwsConfig, speaker: number, word: number, repeat: number): Rng {
  return new Rng(deriveSeed(cfg.seed, `kws:${speaker}:${word}:${repeat}`));
}

/**
 * The 1 s, 16 kHz clip of one utterance from espeak-ng's WAV output (see the module comment).
 * The draws continue the utterance's generator after speed and pitch.
 */
export function makeClip(wav: Uint8Array, u: Utterance, cfg: KwsConfig): Float64Array {
  const rng = uttRng(cfg, u.speaker, u.word, u.repeat);
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
  throw new UserError(
    "no cache directory for the generated keyword-spotting set: set BIBENCH_CACHE_DIR, " +
      "XDG_CACHE_HOME or HOME",
  );
}

/** The cache directory name of a set: `kws-<version>-<first 12 hex of the params' SHA-256>`. */
export async function kwsCacheName(version: string, cfg: KwsConfig): Promise<string> {
  const params = JSON.stringify({ format: KWS_FORMAT, words: KWS_WORDS, cfg, logmel: LOGMEL });
  const hash = await sha256Hex(new TextEncoder().encode(params));
  return `kws-${version.replace(/[^A-Za-z0-9._+-]/g, "_")}-${hash.slice(0, 12)}`;
}

interface Manifest {
  format: number;
  espeakVersion: string;
  config: KwsConfig;
  logmel: typeof LOGMEL;
  utterances: number;
  shape: [number, number];
  files: Record<string, { sha256: string; bytes: number }>;
}

interface RawKws {
  features: Float32Array;
  labels: Uint8Array;
  speakers: Uint16Array;
  digests: FileDigest[];
  dir: string;
  version: string;
}

/** Generates the set into `dir` (a fresh directory). */
async function generate(
  dir: string,
  version: string,
  cfg: KwsConfig,
  espeak: string,
  concurrency: number,
): Promise<void> {
  const list = utterances(cfg);
  const per = LOGMEL_FRAMES * LOGMEL.mels;
  const features = new Float32Array(list.length * per);
  const labels = Uint8Array.from(list, (u) => u.word);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const u = list[next++];
      const wav = await runEspeak(espeak, [
        "--stdout",
        "-v",
        u.voice,
        "-s",
        String(u.speed),
        "-p",
        String(u.pitch),
        KWS_WORDS[u.word],
      ]);
      logMel(makeClip(wav, u, cfg), features, u.index * per);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const fbytes = new Uint8Array(features.buffer);
  const manifest: Manifest = {
    format: KWS_FORMAT,
    espeakVersion: version,
    config: cfg,
    logmel: LOGMEL,
    utterances: list.length,
    shape: [LOGMEL_FRAMES, LOGMEL.mels],
    files: {
      "features.f32": { sha256: await sha256Hex(fbytes), bytes: fbytes.length },
      "labels.u8": { sha256: await sha256Hex(labels), bytes: labels.length },
    },
  };
  await Deno.writeFile(join(dir, "features.f32"), fbytes);
  await Deno.writeFile(join(dir, "labels.u8"), labels);
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

async function readOrGenerate(
  root: string,
  cfg: KwsConfig,
  espeak: string,
  concurrency: number,
): Promise<RawKws> {
  const version = await espeakVersion(espeak);
  const name = await kwsCacheName(version, cfg);
  const dir = join(root, name);
  if (!(await exists(join(dir, "manifest.json")))) {
    try {
      await Deno.mkdir(root, { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create the cache directory ${root}: ${(e as Error).message}`);
    }
    const tmp = await Deno.makeTempDir({ dir: root, prefix: `${name}.tmp-` });
    console.error(
      `kws: generating ${utterances(cfg).length} utterances with espeak-ng ${version} into ` +
        `${dir} (once; about 10-20 ms each)`,
    );
    try {
      await generate(tmp, version, cfg, espeak, concurrency);
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
  return { ...(await readCache(dir, name, cfg)), version };
}

async function readCache(
  dir: string,
  name: string,
  cfg: KwsConfig,
): Promise<Omit<RawKws, "version">> {
  const fix = `delete ${dir} to generate it again`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  } catch (e) {
    throw new UserError(`corrupt keyword-spotting cache ${dir}: ${(e as Error).message}; ${fix}`);
  }
  const digests: FileDigest[] = [];
  const files: Record<string, Uint8Array> = {};
  for (const f of ["features.f32", "labels.u8"]) {
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
        `SHA-256 mismatch for keyword-spotting cache file ${
          join(dir, f)
        }: manifest says ${want}, ` +
          `got ${d.sha256}; ${fix}`,
      );
    }
    const known = KWS_KNOWN_DIGESTS[d.file];
    if (known !== undefined && known !== d.sha256) {
      throw new UserError(
        `the generated keyword-spotting file ${d.file} has SHA-256 ${d.sha256}, but this ` +
          `espeak-ng version is recorded as producing ${known}: results would not compare; ` +
          `use Debian's espeak-ng package (apt-get install espeak-ng)`,
      );
    }
    digests.push(d);
    files[f] = bytes;
  }
  const list = utterances(cfg);
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
  const espeak = kws.espeak ?? "espeak-ng";
  const raw = await memoize(
    `kws:${root}:${espeak}:${JSON.stringify(cfg)}`,
    () => readOrGenerate(root, cfg, espeak, kws.concurrency ?? 2),
  );
  const speakers = cfg.accents.length * cfg.variants.length;
  const testSpeakers = new Set(
    new Rng(KWS_TEST_SPLIT_SEED).permutation(speakers).subarray(
      0,
      Math.max(1, Math.round(KWS_TEST_SPEAKER_FRACTION * speakers)),
    ),
  );
  const test: number[] = [];
  const trainVal: number[] = [];
  raw.speakers.forEach((s, i) => (testSpeakers.has(s) ? test : trainVal).push(i));
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
    Int32Array.from(test),
    KWS_WORDS.length,
    opts,
  );
  return {
    name: "kws",
    shape: [LOGMEL_FRAMES, LOGMEL.mels],
    numClasses: KWS_WORDS.length,
    classNames: [...KWS_WORDS],
    ...splits,
    digests: raw.digests.map((d) => ({ ...d })),
    source: `generated:espeak-ng@${raw.version}`,
  };
}
