/**
 * The common reading of every overall metric (what each one means is its track's presentation,
 * tracks/<name>/presentation.ts). Prose only: every number on the site comes from the tracks'
 * tables.
 */

/** The common reading of every OM. */
export const OM_READING = "Each OM is a quadratic mean of ratios to the full-precision network, " +
  "oriented so that higher is better: 1.0 means as good as fp32 (fp32 itself scores 1 on the " +
  "accuracy tracks). A dash means the track has no results for that binarizer, or lacks the " +
  "fp32 runs its ratios need.";

/** How the OM intervals and ranks read (tracks/text_table.ts, the rule the CLI prints). */
export { OM_INTERVAL_RULE as OM_INTERVALS } from "../../tracks/text_table.ts";
