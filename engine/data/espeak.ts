/**
 * eSpeak NG, the speech synthesizer of the keyword-spotting task, from the npm package
 * `espeak-ng@1.0.2` (eSpeak NG 1.52-dev compiled to WebAssembly, its voice data inside the module).
 *
 * Why this build and no other: one synthesizer everywhere means one set of utterances and one
 * digest on every machine, with nothing to install beside npm (a system espeak-ng differs by
 * version and distribution patch, and so does its audio).
 *
 * Why not the package's own entry point per utterance: each call builds a new runtime and loads
 * the voice data into its file system (~270 ms), 2,520 times. Instead one runtime is built with
 * `noInitialRun`, its linear memory is saved right after start-up, and every utterance restores
 * that memory, runs `main` with the usual command line and reads the WAV file it wrote: ~15 ms an
 * utterance, and byte-identical to a fresh runtime (tests/seq_data_test.ts checks it). The
 * runtime's clock is stopped (see {@link stoppedClock}), which makes the audio deterministic.
 */

import process from "node:process";
import ESpeakNg from "espeak-ng";
import { UserError } from "../errors.ts";
import { memoize } from "./dataset.ts";
import { sha256Hex } from "./digest.ts";

/** The npm package (name@version) the synthesizer comes from. */
export const ESPEAK_PACKAGE = "espeak-ng@1.0.2";

/** What one utterance is: a voice (`accent+variant`), speed (words/min), pitch (0-99), text. */
export interface SpeakArgs {
  voice: string;
  speed: number;
  pitch: number;
  text: string;
}

/** The synthesizer's identity, recorded with every set it makes and part of its cache key. */
export interface SynthIdentity {
  /** `espeak-ng@1.0.2`. */
  package: string;
  /** What `espeak-ng --version` prints, e.g. `1.52-dev`. */
  version: string;
  /** SHA-256 of the WebAssembly module (code and voice data). */
  wasmSha256: string;
}

/** A ready synthesizer: `speak` returns the WAV file's bytes. */
export interface Synth {
  identity: SynthIdentity;
  speak(args: SpeakArgs): Uint8Array;
  /** Runs `espeak-ng ARGS` and returns what it printed (tests, `--version`, `--voices`). */
  run(args: string[]): string;
}

interface Exports {
  memory: WebAssembly.Memory;
  stackSave(): number;
  stackRestore(sp: number): void;
  stackAlloc(bytes: number): number;
  __main_argc_argv(argc: number, argv: number): number;
}

interface EspeakModule {
  FS: {
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
    streams: ({ fd: number } | null)[];
    close(stream: unknown): void;
  };
}

const OUT = "/utterance.wav";

/**
 * The module's imports with the clock stopped at 0. eSpeak NG seeds its random generator from the
 * time, and voices with breath noise (the `f` variants) draw from it: with the real clock the same
 * command gives different audio from one second to the next.
 */
export function stoppedClock(imports: WebAssembly.Imports): WebAssembly.Imports {
  return {
    ...imports,
    env: { ...imports.env, emscripten_date_now: () => 0, emscripten_get_now: () => 0 },
  };
}

/** The synthesizer, built once per process. */
export function loadEspeak(): Promise<Synth> {
  return memoize("espeak-wasm", build);
}

async function build(): Promise<Synth> {
  let wasm: Uint8Array;
  const where = new URL("./espeak-ng.wasm", import.meta.resolve("espeak-ng"));
  try {
    wasm = await Deno.readFile(where);
  } catch (e) {
    throw new UserError(
      `cannot read the speech synthesizer ${where.pathname} (${(e as Error).message}): the ` +
        `keyword-spotting task needs the npm package ${ESPEAK_PACKAGE}; reinstall it (delete ` +
        `node_modules and run the command again)`,
    );
  }
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  let printed = "";
  let exports: Exports | undefined;
  const runtime = await (ESpeakNg as (m: object) => Promise<EspeakModule>)({
    noInitialRun: true,
    print: (s: string) => (printed += s + "\n"),
    printErr: (s: string) => (printed += s + "\n"),
    instantiateWasm: (
      imports: WebAssembly.Imports,
      done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
    ) => {
      WebAssembly.instantiate(module, stoppedClock(imports)).then((instance) => {
        exports = instance.exports as unknown as Exports;
        done(instance, module);
      });
      return {};
    },
  });
  const ex = exports!;
  const initial = new Uint8Array(ex.memory.buffer).slice();

  const run = (args: string[]): string => {
    const heap = new Uint8Array(ex.memory.buffer);
    heap.set(initial);
    heap.fill(0, initial.length);
    printed = "";
    const sp = ex.stackSave();
    // Emscripten's exit() also sets the process's exit code: an error here is reported, not fatal.
    const exitCode = process.exitCode;
    try {
      const argv = ["espeak-ng", ...args].map((a) => {
        const bytes = new TextEncoder().encode(a + "\0");
        const at = ex.stackAlloc(bytes.length);
        new Uint8Array(ex.memory.buffer).set(bytes, at);
        return at;
      });
      const table = ex.stackAlloc(4 * (argv.length + 1));
      const view = new DataView(ex.memory.buffer);
      argv.forEach((p, i) => view.setUint32(table + 4 * i, p, true));
      view.setUint32(table + 4 * argv.length, 0, true);
      ex.__main_argc_argv(argv.length, table);
    } catch (e) {
      // exit() inside main (a bad option or voice) surfaces as Emscripten's ExitStatus.
      const exit = e as { name?: string; status?: number };
      if (exit?.name !== "ExitStatus") throw e;
      if (exit.status !== 0) {
        throw new UserError(
          `espeak-ng ${args.join(" ")} failed: ${printed.replace(/\s+/g, " ").trim()}`,
        );
      }
    } finally {
      process.exitCode = exitCode;
      ex.stackRestore(sp);
      // Files main left open belong to the memory just thrown away.
      for (const s of runtime.FS.streams) if (s && s.fd > 2) runtime.FS.close(s);
    }
    return printed;
  };

  const speak = (a: SpeakArgs): Uint8Array => {
    const out = run([
      "-v",
      a.voice,
      "-s",
      String(a.speed),
      "-p",
      String(a.pitch),
      "-w",
      OUT,
      a.text,
    ]);
    let wav: Uint8Array;
    try {
      wav = runtime.FS.readFile(OUT);
      runtime.FS.unlink(OUT);
    } catch {
      throw new UserError(
        `espeak-ng wrote no audio for "${a.text}" (${a.voice}): ${out.replace(/\s+/g, " ").trim()}`,
      );
    }
    if (/Bad voice|not found/i.test(out)) {
      throw new UserError(`espeak-ng: ${out.replace(/\s+/g, " ").trim()} (voice ${a.voice})`);
    }
    return wav;
  };

  const m = /text-to-speech:\s*(\S+)/.exec(run(["--version"]));
  if (!m) throw new UserError(`cannot read the version of ${ESPEAK_PACKAGE}`);
  return {
    identity: { package: ESPEAK_PACKAGE, version: m[1], wasmSha256: await sha256Hex(wasm) },
    speak,
    run,
  };
}
