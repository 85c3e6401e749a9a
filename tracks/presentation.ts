/**
 * How the site shows a track: prose, cell format, column label and charts. A track declares it
 * beside its grid and summary (`Track.presentation`), so the site loops over the registered
 * tracks and never names one. Every number on the site still comes from the track's table; the
 * views here are the JSON-safe form of it the site's pages and charts read (NaN -> null).
 */

/** How a table cell reads. */
export type CellFormat =
  /** Fractions in percent, mean ± std, and the ratio to fp32 (accuracy tracks). */
  | "percent"
  /** Raw numbers (latencies, bytes), mean ± std, and the ratio to fp32. */
  | "value"
  /** The mean alone, two decimals (a ratio already; one count per model, no seeds). */
  | "ratio";

/** What a track tells the site about itself. */
export interface TrackPresentation {
  /** Name of the overall metric, e.g. "OM_task" (shown even before the track has results). */
  omName: string;
  /** What the OM means, in a sentence or two (docs/metrics.md). */
  meaning: string;
  /** How cells read (default "percent"). */
  cells?: CellFormat;
  /** What a column is, for the table caption ("task / corruption"; default "column"). */
  columnLabel?: string;
  /** The unit line under the table (default: the percent legend, naming the track's metric). */
  legend?: string;
  /** The charts of the track's page, in order. */
  charts?: TrackChart[];
  /** Draw its training curves on each binarizer's page (the learning-task track). */
  binarizerCurves?: boolean;
}

/** A chart a track contributes: an id unique on the site, and its Vega-Lite spec from the data. */
export interface TrackChart {
  id: string;
  /** The chart, or null when the track's data has nothing to draw. */
  build(track: TrackView, binarizers: string[]): ChartDef | null;
}

/** A chart as a Vega-Lite spec with its text alternative (the site compiles and renders it). */
export interface ChartDef {
  id: string;
  title: string;
  description: string;
  spec: Record<string, unknown>;
  /** The chart's data as a table (its text alternative). */
  alt: { columns: string[]; rows: (string | number | null)[][] };
}

/** One table cell as the site reads it. */
export interface CellData {
  mean: number | null;
  std: number | null;
  n: number;
  ratio: number | null;
  /** Half-width of the 95% t-interval over seeds; null without one (n = 1). */
  half: number | null;
  /** Left out of the OM (the track's notes say why). */
  excluded: boolean;
  /** Seeds whose training did not converge (0: all did, or not a training cell). */
  unconverged: number;
}

/** One table row (a binarizer) as the site reads it. */
export interface RowData {
  binarizer: string;
  slug: string;
  cells: (CellData | null)[];
  om: number | null;
  /** The OM's 95% bootstrap interval, rank and tie (null: the track gives none). */
  omInterval: [number, number] | null;
  rank: number | null;
  tied: boolean;
  /** The OM is exact (counts, no sampling noise): omInterval is [om, om], shown as "exact". */
  exact?: boolean;
  extra: Record<string, number | null>;
}

/** Per-epoch training curve, mean over seeds. */
export interface CurvePoint {
  track: string;
  task: string;
  model: string;
  binarizer: string;
  epoch: number;
  valAccuracy: number | null;
  trainAccuracy: number | null;
  trainLoss: number | null;
  n: number;
}

/** What a track's charts read: its table (JSON-safe) and its mean training curves. */
export interface TrackView {
  name: string;
  columns: string[];
  rows: RowData[];
  curves: CurvePoint[];
}
