/**
 * The loop of a `bench --workers N` worker process: the parent (engine/grid/pool.ts) writes a
 * settings line and then one run spec per line to stdin; the worker runs each with `runGrid`
 * (resume, signing and atomic writes through the result store) and reports progress as marked
 * JSON lines on stdout. It ends when stdin closes. The program that calls it (app/worker.ts)
 * installs the plugins first: the executors a worker runs are the app's.
 *
 * Not a user entry point. `BIBENCH_TEST_CRASH_RUN=<run id>` makes it die on that run (tests of
 * crash reporting).
 */
import { type BackendName, initBackend } from "../tf.ts";
import { type GridEvent, runGrid } from "./runner.ts";
import { loadSigningKey } from "../bundle/keys.ts";
import { UserError } from "../errors.ts";
import { lines } from "../lines.ts";
import type { RunSpec } from "../run.ts";

/** Prefix of protocol lines on stdout (anything else there is a library's chatter). */
export const MARK = "@@bibench ";

/** What the parent sends first. */
export interface WorkerSettings {
  out: string;
  backend: BackendName;
  dataDir?: string;
}

/** Messages a worker sends. */
export type WorkerMessage = GridEvent | { type: "ready" } | { type: "error"; message: string };

const enc = new TextEncoder();
function send(m: WorkerMessage): void {
  Deno.stdout.writeSync(enc.encode(`${MARK}${JSON.stringify(m)}\n`));
}

/** The non-blank lines of the parent's messages, trimmed. */
async function* messages(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const l of lines(stream)) if (l.trim()) yield l.trim();
}

/** Serves the parent's runs on stdin / stdout; the exit status to end the process with. */
export async function serveWorker(): Promise<number> {
  const input = messages(Deno.stdin.readable);
  const first = await input.next();
  if (first.done) return 0;
  const settings = JSON.parse(first.value) as WorkerSettings;
  try {
    await initBackend(settings.backend);
    const signer = await loadSigningKey();
    const crashOn = Deno.env.get("BIBENCH_TEST_CRASH_RUN");
    send({ type: "ready" });
    for await (const line of input) {
      const spec = JSON.parse(line) as RunSpec;
      if (crashOn && spec.id === crashOn) {
        send({ type: "start", id: spec.id });
        throw new Error(`test crash on ${spec.id} (BIBENCH_TEST_CRASH_RUN)`);
      }
      await runGrid([spec], {
        out: settings.out,
        env: { dataDir: settings.dataDir },
        signer,
        quiet: true,
        onEvent: send,
      });
    }
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      send({ type: "error", message: e.message });
      return 2;
    }
    throw e;
  }
}
