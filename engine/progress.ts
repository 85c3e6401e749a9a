/**
 * Progress for long grids: run i/N, the run's name, epoch, batch, loss / accuracy and an ETA.
 * On a terminal it redraws one status line; elsewhere (CI logs, pipes) it prints a line per epoch
 * so logs stay readable.
 */

/** Formats seconds as "1h02m", "3m05s" or "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** Tracks work done in "batch units" across all runs to estimate the time left. */
export class Progress {
  #units = 0;
  #start = performance.now();
  #lastDraw = 0;
  readonly tty: boolean;

  constructor(readonly totalRuns: number, readonly totalUnits: number, readonly quiet = false) {
    this.tty = Deno.stderr.isTerminal();
  }

  /** Seconds left, extrapolated from the pace so far. */
  eta(): number {
    if (this.#units === 0) return NaN;
    const elapsed = (performance.now() - this.#start) / 1000;
    return (elapsed / this.#units) * Math.max(0, this.totalUnits - this.#units);
  }

  /** Counts units done (batches, or a whole run's worth when a run is skipped or finished). */
  advance(units: number): void {
    this.#units += units;
  }

  /** A status line, redrawn at most every 100 ms on a terminal. */
  status(line: string): void {
    if (this.quiet || !this.tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const cols = Deno.consoleSize?.().columns ?? 120;
    const text = `${line} | ETA ${formatDuration(this.eta())}`.slice(0, cols - 1);
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${text}`));
  }

  /** A permanent line (clears the status line first on a terminal). */
  log(line: string): void {
    if (this.quiet) return;
    const prefix = this.tty ? "\r\x1b[2K" : "";
    Deno.stderr.writeSync(new TextEncoder().encode(`${prefix}${line}\n`));
  }
}
