/**
 * The tables `bench` and `merge` print, as a function of the *set* of finished results: results
 * are put in one canonical order (track, binarizer in registry order with fp32 first, task,
 * model, seed) before tracks summarize them, so a grid run on one machine, in shards, or by
 * workers in any order prints the same tables, to the last digit.
 */
import type { RunResult } from "../engine/run.ts";
import { binarizerNames } from "../engine/binarizers/mod.ts";
import { renderOverview, renderTable } from "./text_table.ts";
import { getTrack, trackNames } from "./registry.ts";
import type { Track, TrackTable } from "./track.ts";
import { bootstrapDraws, bootstrapIntervals, ranksWithTies } from "../engine/stats.ts";

function rank(list: string[], x: string): number {
  const i = list.indexOf(x);
  return i < 0 ? list.length : i;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Results in the canonical order (see the module doc). */
export function canonicalOrder(results: RunResult[]): RunResult[] {
  const tracks = trackNames();
  const bins = ["fp32", ...binarizerNames().filter((b) => b !== "fp32")];
  return [...results].sort((x, y) => {
    const a = x.spec, b = y.spec;
    return rank(tracks, a.track) - rank(tracks, b.track) || cmp(a.track, b.track) ||
      rank(bins, a.binarizer) - rank(bins, b.binarizer) || cmp(a.binarizer, b.binarizer) ||
      cmp(a.task, b.task) || cmp(a.model, b.model) || a.seed - b.seed || cmp(a.id, b.id);
  });
}

/**
 * Each track's summary over `results`, for the tracks in `only` (default: every track that has
 * results), in the registry's track order; results of unknown tracks are left out and named. The
 * CLI tables and the leaderboard site (site/) are both this one computation.
 */
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
    const track = getTrack(name);
    tables.push(withUncertainty(track, sorted.filter((r) => r.spec.track === name)));
  }
  return { tables, unknownTracks: [...present].filter((t) => !known.includes(t)).sort() };
}

/**
 * The text tables `bench` and `merge` print: {@link summarizeTracks}, rendered, and the overall
 * metrics of every track side by side.
 */
export function renderTables(
  results: RunResult[],
  only?: string[],
): { tables: string[]; overview: string; unknownTracks: string[] } {
  const { tables, unknownTracks } = summarizeTracks(results, only);
  return { tables: tables.map(renderTable), overview: renderOverview(tables), unknownTracks };
}

/** The cell a result is one seed of, for resampling (see `Track.resampleSeeds`). */
function cellKey(r: RunResult): string {
  const s = r.spec;
  return [s.binarizer, s.task, s.model, s.dataset, s.width].join("\u0000");
}

/**
 * The track's table with, on each row, its OM's 95% interval and rank with ties
 * (`TrackTable.rows[].uncertainty`, docs/metrics.md "Uncertainty"): the track's own resampling
 * (`Track.resample`) or, for tracks that declare `resampleSeeds` and have a cell with two seeds or
 * more, each cell's seeds resampled with replacement; the track summarizes every resample
 * (engine/stats.ts, fixed seed and 1,000 resamples: the same results give bit-identical
 * intervals). Tracks with an exact OM (`Track.exactOm`) get [om, om], marked exact.
 */
function withUncertainty(track: Track, results: RunResult[]): TrackTable {
  const table = track.summarize(results);
  const names = table.rows.map((r) => r.binarizer);
  const omsOf = (t: TrackTable) =>
    names.map((b) => t.rows.find((r) => r.binarizer === b)?.om ?? NaN);
  const intervals = track.exactOm
    ? table.rows.map((r): [number, number] => [r.om, r.om])
    : resampledIntervals(track, results, omsOf);
  if (!intervals) return table;
  const ranked = ranksWithTies(
    intervals.map((iv, i) => (names[i] === "fp32" ? null : iv)),
  );
  return {
    ...table,
    rows: table.rows.map((r, i) => ({
      ...r,
      uncertainty: {
        interval: intervals[i],
        rank: ranked[i]?.rank ?? null,
        tied: ranked[i]?.tied ?? false,
        ...(track.exactOm ? { exact: true } : {}),
      },
    })),
  };
}

/** The bootstrap intervals of the track's OMs (see {@link withUncertainty}), or null: none. */
function resampledIntervals(
  track: Track,
  results: RunResult[],
  omsOf: (t: TrackTable) => number[],
): [number, number][] | null {
  const draw = track.resample?.(results);
  if (draw) return bootstrapDraws((rng) => omsOf(track.summarize(draw(rng))));
  if (!track.resampleSeeds) return null;
  // Results are in canonical order, so a cell's seeds are contiguous: groups keep that order.
  const groups: RunResult[][] = [];
  let last = "";
  for (const r of results) {
    const k = cellKey(r);
    if (groups.length === 0 || k !== last) groups.push([]);
    groups[groups.length - 1].push(r);
    last = k;
  }
  if (!groups.some((g) => g.length > 1)) return null;
  return bootstrapIntervals(groups, (drawn) => omsOf(track.summarize(drawn.flat())));
}
