/**
 * The previous published set, kept as a snapshot of its track tables (docs/previous-set.json), so
 * that docs/findings.md can compare the published numbers with it cell by cell after the old
 * bundles left `bundles/` (they stay in git history; the snapshot names the commit). The snapshot
 * is made by `deno task findings --snapshot FILE --label TEXT --bundles DIR` from the old bundles,
 * through the same verification and summaries as the findings themselves.
 */
import type { TrackTable } from "../tracks/track.ts";

/** One row of a snapshot: the OM, its interval, and each column's mean (fp32 and binarized). */
export interface SnapshotRow {
  om: number;
  interval?: [number, number];
  cells: Record<string, number>;
}

/** A published set's track tables, reduced to what the comparison prints. */
export interface SetSnapshot {
  /** Which set this is, e.g. "bundles/ at commit ce8839d (558 runs)". */
  label: string;
  /** Track -> binarizer -> row. */
  tracks: Record<string, Record<string, SnapshotRow>>;
}

/** The snapshot of a set's tables (OMs, intervals, cell means; numbers rounded to 6 decimals). */
export function snapshotOf(tables: TrackTable[], label: string): SetSnapshot {
  const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
  const tracks: SetSnapshot["tracks"] = {};
  for (const t of tables) {
    const rows: Record<string, SnapshotRow> = {};
    for (const r of t.rows) {
      const cells: Record<string, number> = {};
      t.columns.forEach((c, i) => {
        const cell = r.cells[i];
        if (cell && Number.isFinite(cell.mean)) cells[c] = r6(cell.mean);
      });
      const iv = r.uncertainty?.interval;
      rows[r.binarizer] = {
        om: r6(r.om),
        ...(iv ? { interval: [r6(iv[0]), r6(iv[1])] as [number, number] } : {}),
        cells,
      };
    }
    tracks[t.track] = rows;
  }
  return { label, tracks };
}

/** Reads a snapshot file; throws with the reason when it is not one. */
export function parseSnapshot(text: string, path: string): SetSnapshot {
  const s = JSON.parse(text) as SetSnapshot;
  if (typeof s?.label !== "string" || typeof s.tracks !== "object" || s.tracks === null) {
    throw new Error(`${path} is not a set snapshot (label, tracks)`);
  }
  return s;
}

/**
 * "0.843 → 0.912 ↑": previous → now; ↑ / ↓ when the two intervals do not overlap (the change is
 * larger than the seeds' uncertainty), "=" when equal, nothing otherwise.
 */
export function change(
  prev: SnapshotRow | undefined,
  now: { om: number; interval?: [number, number] } | undefined,
  decimals: number,
): string {
  if (!prev || !now) {
    return `${prev ? prev.om.toFixed(decimals) : "—"} → ${now ? now.om.toFixed(decimals) : "—"}`;
  }
  const a = prev.om.toFixed(decimals), b = now.om.toFixed(decimals);
  const [plo, phi] = prev.interval ?? [prev.om, prev.om];
  const [nlo, nhi] = now.interval ?? [now.om, now.om];
  const mark = a === b ? " =" : nlo > phi ? " ↑" : nhi < plo ? " ↓" : "";
  return `${a} → ${b}${mark}`;
}
