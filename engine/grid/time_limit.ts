/**
 * A time limit for a grid run (`bench --time-limit`): a run starts only when its cost estimate
 * says it ends within the limit. A machine lent for a fixed time (a working session, a batch job's
 * wall-time limit) then stops between runs instead of losing the runs in flight when it is taken
 * back; running the same command again resumes with the rest.
 */
import { UserError } from "../errors.ts";

/** When the limit ends, and whether a run of a given estimated length still fits before it. */
export class TimeLimit {
  /** Epoch milliseconds at which the limit ends. */
  readonly endsAt: number;

  constructor(seconds: number, readonly now: () => number = Date.now) {
    this.endsAt = now() + seconds * 1000;
  }

  /**
   * True when a run estimated at `seconds` ends before the limit. An unpriced run (NaN: no rate
   * for its kind yet) fits while any time is left: nothing says it will not.
   */
  fits(seconds: number): boolean {
    const t = this.now();
    if (!Number.isFinite(seconds)) return t < this.endsAt;
    return t + seconds * 1000 <= this.endsAt;
  }
}

const UNIT: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** Parses "2h30m", "90m", "45s", "1h" or plain seconds ("5400"); throws UserError otherwise. */
export function parseDuration(text: string, option = "--time-limit"): number {
  const t = text.trim();
  let seconds = 0;
  if (/^\d+$/.test(t)) seconds = Number(t);
  else {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
    if (!m || t === "") {
      throw new UserError(`${option} must be a duration such as 2h30m, 90m or 5400, got "${text}"`);
    }
    seconds = Number(m[1] ?? 0) * UNIT.h + Number(m[2] ?? 0) * UNIT.m + Number(m[3] ?? 0);
  }
  if (!(seconds > 0) || seconds > 30 * 86400) {
    throw new UserError(`${option} must be more than 0 and at most 30 days, got "${text}"`);
  }
  return seconds;
}
