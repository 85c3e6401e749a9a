/** The train track's text view (`Track.render`): accuracy per setting, time, spread. */
import type { TrackTable } from "../track.ts";
import { align, fixOrDash, pctOrDash, rule, seedsOf, unconvergedMark } from "../text_table.ts";

/**
 * Training-consumption view: a row per binarizer; test accuracy per setting (mean, ratio to fp32),
 * then mean training wall time, CPU ms per training step (paired timing; fp32's beside), T_fp /
 * T_bi, std of accuracy over settings, its ratio, OM_train.
 */
export function renderTrainTable(t: TrackTable): string {
  const header = [
    "binarizer",
    ...t.columns.map((c) => `${c} %`),
    "train s",
    "step cpu ms (fp32)",
    "T_fp/T_bi",
    "std over settings %",
    "std_fp/std_bi",
    t.omName,
  ];
  const body = t.rows.map((r) => [
    r.binarizer,
    ...r.cells.map((c) =>
      c ? `${pctOrDash(c.mean)} (${fixOrDash(c.ratio)})${unconvergedMark(c)}` : "-"
    ),
    fixOrDash(r.extra?.trainSeconds ?? NaN, 1),
    r.extra?.stepCpuMs === undefined
      ? "-"
      : `${fixOrDash(r.extra.stepCpuMs, 1)} (${fixOrDash(r.extra.stepCpuFpMs ?? NaN, 1)})`,
    fixOrDash(r.extra?.timeRatio ?? NaN),
    pctOrDash(r.extra?.settingsStd ?? NaN),
    fixOrDash(r.extra?.stdRatio ?? NaN),
    fixOrDash(r.om),
  ]);
  const text = align([header, ...body]);
  return [
    `${t.title} track — test accuracy per setting, mean over ${seedsOf(t)} seed(s) (÷fp32); ` +
    `${t.omName} = sqrt(1/2 (E[T_fp/T_bi]^2 + E[std_fp/std_bi]^2))`,
    text[0],
    rule(text[0]),
    ...text.slice(1),
    ...(t.notes?.length ? ["", ...t.notes] : []),
  ].join("\n");
}
