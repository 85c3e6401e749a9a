/** How the site shows the arch track: what OM_arch means, how its cells read, its charts. */
import type { TrackPresentation } from "../presentation.ts";

/** The arch track's presentation (Track.presentation). */
export const archPresentation: TrackPresentation = {
  omName: "OM_arch",
  meaning: "Neural architecture: the same accuracy ratio across architectures (MLP, VGG-small, " +
    "ResNet-20, ViT) trained on Fashion-MNIST; how well the operator carries over to other " +
    "network shapes.",
};
