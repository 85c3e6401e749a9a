/**
 * Each track's summary (`TrackTable`) over a set of results, computed exactly as `renderTables`
 * (engine/tables.ts) does before it renders text: results in the canonical order, each track's
 * `summarize()` over its own results, tracks in registry order, unknown tracks left out and
 * named. The leaderboard site (site/) reads its numbers from here, so the site and the CLI
 * tables are one computation (tests/site_test.ts checks that `renderTable` of these equals
 * `renderTables`).
 */
import type { RunResult } from "./run.ts";
import { canonicalOrder } from "./tables.ts";
import { getTrack, trackNames } from "../tracks/mod.ts";
import type { TrackTable } from "../tracks/track.ts";

/** The tables of the tracks in `only` (default: every track that has results). */
export function summarizeTracks(
  results: RunResult[],
  only?: string[],
): { tables: TrackTable[]; unknownTracks: string[] } {
  const sorted = canonicalOrder(results);
  const known = trackNames();
  const present = new Set(sorted.map((r) => r.spec.track));
  const tables: TrackTable[] = [];
  for (const name of known) {
    if (!present.has(name) || (only && !only.includes(name))) continue;
    tables.push(getTrack(name).summarize(sorted.filter((r) => r.spec.track === name)));
  }
  return { tables, unknownTracks: [...present].filter((t) => !known.includes(t)).sort() };
}
