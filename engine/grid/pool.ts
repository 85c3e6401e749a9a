/**
 * `bench --workers N`: the grid loop (runner.ts) spread over N local worker processes (tfjs wasm is
 * single-threaded under Deno, so processes are how a grid uses several cores). Runs are handed
 * out one at a time to whichever worker is free; each worker writes its bundles into the same
 * output directory, so resume works exactly as with one process. The parent shows combined
 * progress (runs done / total, ETA) and reports a worker that dies, naming the run it was on.
 */
import { CostModel, formatDuration, gridProgress, workUnits } from "./progress.ts";
import { finishedRuns } from "../store/results.ts";
import type { RunSpec } from "../run.ts";
import { parentId } from "../init.ts";
import type { BackendName } from "../tf.ts";
import { MARK, type WorkerMessage, type WorkerSettings } from "./worker.ts";
import { UserError } from "../errors.ts";
import { lines } from "../lines.ts";
import type { TimeLimit } from "./time_limit.ts";

/** The permissions of `deno task bench` (deno.json): what a worker, like bench, needs. */
export const BENCH_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  // The infer track's native float baseline (onnxruntime's addon, engine/deploy/onnx/ort.ts).
  "--allow-ffi",
];

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** A run that did not finish, and why. */
export interface FailedRun {
  id: string;
  worker: number;
  reason: string;
}

/**
 * Hands out a grid's runs to workers in order. A run whose parent (the fp32 run it starts from,
 * engine/init.ts) is still queued or running is passed over for the next one: parents before
 * children, so a child reads its parent's weights instead of training it again. A run for which
 * `alone` holds (one that measures time, e.g. the inference track's latencies) waits until no
 * other run is in flight, and the other workers wait while it runs: timings are not taken beside
 * a busy neighbour. A run for which `fits` is false (it would not end within a time limit) is not
 * handed out; once no run is in flight and none can be handed out, `take` returns undefined and
 * the rest stays queued.
 */
export class Dispatcher {
  #busy = 0;
  #aloneBusy = false;
  #waiters: (() => void)[] = [];
  /** Ids of the runs handed out and not finished. */
  #running = new Set<string>();
  constructor(
    readonly queue: RunSpec[],
    readonly alone: (spec: RunSpec) => boolean = () => false,
    readonly parent: (spec: RunSpec) => string | undefined = parentId,
    readonly fits: (spec: RunSpec) => boolean = () => true,
  ) {}

  /**
   * The next run for a free worker (waits while an alone run or unfinished parents block every
   * queued run); undefined when none.
   */
  async take(): Promise<RunSpec | undefined> {
    while (true) {
      if (this.queue.length === 0) return undefined;
      const queued = new Set(this.queue.map((s) => s.id));
      const at = this.queue.findIndex((s) => {
        const p = this.parent(s);
        return (p === undefined || !(queued.has(p) || this.#running.has(p))) && this.fits(s);
      });
      const next = at < 0 ? undefined : this.queue[at];
      const solo = next !== undefined && this.alone(next);
      if (next && !this.#aloneBusy && (!solo || this.#busy === 0)) {
        this.queue.splice(at, 1);
        this.#busy++;
        this.#running.add(next.id);
        if (solo) this.#aloneBusy = true;
        return next;
      }
      // Nothing in flight and nothing to hand out: what is left waits for a later run.
      if (next === undefined && this.#busy === 0) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** A run handed out by {@link take} ended (done or its worker died). */
  finish(spec: RunSpec): void {
    this.#busy--;
    this.#running.delete(spec.id);
    if (this.alone(spec)) this.#aloneBusy = false;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiting) resolve();
  }
}

/** Options of {@link runWithWorkers}. */
export interface WorkerPoolOptions {
  /**
   * The worker program (a module that installs the plugins and calls `serveWorker`, see
   * worker.ts): the app's, app/worker.ts.
   */
  entry: URL;
  out: string;
  workers: number;
  backend: BackendName;
  dataDir?: string;
  quiet?: boolean;
  /** Runs that must have the machine to themselves (see {@link Dispatcher}). */
  alone?: (spec: RunSpec) => boolean;
  /**
   * The run a run must wait for while it is queued or running (default: its fp32 parent,
   * {@link parentId}); the app adds the task runs that robustness and inference runs evaluate.
   */
  dependsOn?: (spec: RunSpec) => string | undefined;
  /** Start only runs that end within this limit (by their cost estimate); the rest stay queued. */
  timeLimit?: TimeLimit;
}

/** The line that best says why a process died: its "error:" line, else its last line. */
function lastWords(tail: string[]): string {
  // deno-lint-ignore no-control-regex
  const clean = tail.map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter(Boolean);
  return clean.find((l) => /^error:/i.test(l)) ?? clean.at(-1) ?? "no output";
}

/**
 * Runs the specs not finished in `opts.out` on `opts.workers` processes. Returns the runs that
 * failed ([] when all finished).
 */
export async function runWithWorkers(
  specs: RunSpec[],
  opts: WorkerPoolOptions,
): Promise<FailedRun[]> {
  const { todo: queue } = await finishedRuns(opts.out, specs);
  const skipped = specs.length - queue.length;
  const progress = gridProgress(specs, queue, opts.out, opts.quiet);
  if (queue.length === 0) return [];
  const n = Math.min(opts.workers, queue.length);
  progress.log(`workers: ${n} processes for ${queue.length} runs`);
  let finished = skipped;
  const failed: FailedRun[] = [];
  const settings: WorkerSettings = {
    out: opts.out,
    backend: opts.backend,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
  };
  const enc = new TextEncoder();
  const costs = new CostModel();
  const limit = opts.timeLimit;
  const dispatcher = new Dispatcher(
    queue,
    opts.alone,
    opts.dependsOn,
    limit ? (s) => limit.fits(costs.estimate(s)) : undefined,
  );
  const inFlight = new Set<RunSpec>();
  progress.estimator = () => [...queue, ...inFlight].reduce((a, s) => a + costs.estimate(s), 0) / n;

  async function worker(w: number): Promise<void> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", ...BENCH_PERMISSIONS, "--config", CONFIG, opts.entry.pathname],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      throw new UserError(
        `cannot start worker processes (${
          (e as Error).message.split("\n")[0]
        }); --workers needs --allow-run, as in deno task bench`,
      );
    }
    const stdin = child.stdin.getWriter();
    let current: RunSpec | null = null;
    const tail: string[] = [];
    const keep = (l: string) => {
      tail.push(l);
      if (tail.length > 40) tail.shift();
    };
    let open = true;
    const sendNext = async () => {
      const spec = await dispatcher.take();
      if (!spec) {
        if (open) {
          open = false;
          await stdin.close().catch(() => {});
        }
        return;
      }
      current = spec;
      inFlight.add(spec);
      try {
        await stdin.write(enc.encode(JSON.stringify(spec) + "\n"));
      } catch {
        // The worker died; its exit is reported below with the run it was given.
      }
    };
    const errDone = (async () => {
      for await (const l of lines(child.stderr)) keep(l);
    })();
    await stdin.write(enc.encode(JSON.stringify(settings) + "\n")).catch(() => {});
    for await (const l of lines(child.stdout)) {
      if (!l.startsWith(MARK)) {
        keep(l);
        continue;
      }
      let m: WorkerMessage;
      try {
        m = JSON.parse(l.slice(MARK.length));
      } catch {
        keep(l);
        continue;
      }
      if (m.type === "ready") await sendNext();
      else if (m.type === "start") progress.status(`[worker ${w}] ${m.id} ...`);
      else if (m.type === "epoch") {
        const line = `[worker ${w}] ${m.id} epoch ${m.epoch + 1}/${m.epochs} loss ` +
          `${m.trainLoss.toFixed(3)} val ${(100 * m.valAccuracy).toFixed(1)}%`;
        if (progress.tty) progress.status(line);
        else progress.log(`${line} ETA ${formatDuration(progress.eta())}`);
      } else if (m.type === "done") {
        finished++;
        if (current) {
          progress.advance(workUnits(current));
          costs.record(current, m.seconds);
          inFlight.delete(current);
          dispatcher.finish(current);
        }
        current = null;
        progress.log(
          `[run ${finished}/${specs.length}] ${m.id} done` +
            (m.testAccuracy === undefined ? "" : ` test ${(100 * m.testAccuracy).toFixed(2)}%`) +
            ` (${m.seconds.toFixed(1)}s) [worker ${w}] ETA ${formatDuration(progress.eta())}`,
        );
        await sendNext();
      } else if (m.type === "error") keep(`error: ${m.message}`);
    }
    await errDone;
    const status = await child.status;
    if (open) {
      open = false;
      await stdin.close().catch(() => {});
    }
    // `current` is set by the closures above (TypeScript narrows it to null here).
    const unfinished = current as RunSpec | null;
    if (unfinished !== null) {
      inFlight.delete(unfinished);
      dispatcher.finish(unfinished);
    }
    if (!status.success || unfinished !== null) {
      const why = lastWords(tail);
      const id = unfinished?.id ?? "(between runs)";
      failed.push({ id, worker: w, reason: `exit code ${status.code}: ${why}` });
      progress.log(`bench: worker ${w} died (exit code ${status.code}) running ${id}: ${why}`);
    }
  }

  await Promise.all(Array.from({ length: n }, (_, w) => worker(w)));
  // Runs never handed out because every worker died (those left by a time limit are not failures:
  // the caller finds them unfinished in the output directory).
  if (failed.length > 0 || !limit) {
    for (const s of queue) {
      failed.push({ id: s.id, worker: -1, reason: "not run (no worker left)" });
    }
  }
  return failed;
}
