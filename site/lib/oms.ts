/**
 * What each track's overall metric means, in a sentence or two (docs/metrics.md).
 * Prose only: every number on the site comes from the tracks' tables.
 */
export const OM_INFO: Record<string, { omName: string; meaning: string }> = {
  task: {
    omName: "OM_task",
    meaning: "Learning task: test accuracy of the binarized network divided by full precision's, " +
      "per task (MNIST, Fashion-MNIST, spam, point clouds, keyword spotting), combined as the " +
      "quadratic mean: sqrt(mean over tasks of (E[A_bi] / E[A_fp])²).",
  },
  arch: {
    omName: "OM_arch",
    meaning: "Neural architecture: the same accuracy ratio across architectures (MLP, VGG-small, " +
      "ResNet-20, ViT) trained on Fashion-MNIST; how well the operator carries over to other " +
      "network shapes.",
  },
  robust: {
    omName: "OM_robust",
    meaning: "Corruption robustness: the accuracy lost to each of the 15 MNIST-C corruptions " +
      "(G = A_clean − A_corrupted) compared with full precision's loss, E[G_fp] / E[G_bi] with " +
      "a noise-floor guard; above 1 means the binarized network loses less.",
  },
  train: {
    omName: "OM_train",
    meaning: "Training consumption: training time relative to full precision (T_fp / T_bi) and " +
      "stability across the eight optimizer × learning-rate × schedule settings " +
      "(std_fp / std_bi of accuracy), combined as a quadratic mean.",
  },
  infer: {
    omName: "OM_infer",
    meaning: "Hardware inference: measured speed-up of the deployed bit-packed network over the " +
      "fp32 network (batch 1 and 64) and its model-file size ratio S_fp / S_bi.",
  },
  comp: {
    omName: "OM_comp",
    meaning: "Theoretical complexity: parameter compression r_c and operation speed-up r_s " +
      "counted from the layers (binary parameters / 32, BOPs / 64, plus every float operation " +
      "the operator adds).",
  },
};

/** The common reading of every OM. */
export const OM_READING = "Each OM is a quadratic mean of ratios to the full-precision network, " +
  "oriented so that higher is better: 1.0 means as good as fp32 (fp32 itself scores 1 on the " +
  "accuracy tracks). A dash means the track has no results for that binarizer, or lacks the " +
  "fp32 runs its ratios need.";
