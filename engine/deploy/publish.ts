/**
 * Deployed model files from published runs: a result bundle's configuration and the trained
 * weights it vouches for (their SHA-256 is in `results.weights`) give the same network the run
 * trained, rebuilt and restored without data, then exported (export.ts). The leaderboard site
 * publishes these files; nothing here trains or reads a dataset, so a site build needs only the
 * bundles and their weights.
 */
import { buildModel } from "../nn/model.ts";
import { decodeWeights } from "../nn/weights.ts";
import { finalState } from "../nn/train.ts";
import { deriveSeed } from "../rng.ts";
import { sha256Hex } from "../data/digest.ts";
import { UserError } from "../errors.ts";
import type { Bundle } from "../bundle/schema.ts";
import { FASHION_MNIST_CLASSES } from "../data/fashion_mnist.ts";
import { exportModel } from "./export.ts";

/** The tasks whose networks are published: their input shape and class names. */
export const PUBLISHED_TASKS: Readonly<
  Record<string, { shape: number[]; classNames: readonly string[]; title: string }>
> = {
  mnist: {
    title: "MNIST digits",
    shape: [28, 28, 1],
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  },
  fashion: {
    title: "Fashion-MNIST garments",
    shape: [28, 28, 1],
    // The official Fashion-MNIST label names, in label order.
    classNames: FASHION_MNIST_CLASSES,
  },
};

/** Whether a bundle is one whose network is published (task track cnn, a published task). */
export function isPublishable(b: Bundle): boolean {
  const c = b.config;
  return c.track === "task" && c.model === "cnn" && c.task in PUBLISHED_TASKS &&
    b.results.weights !== undefined;
}

/**
 * The deployed model file of the run `bundle` records, from its weights file's bytes. Refuses
 * weights whose size or SHA-256 differs from what the bundle records. Needs the binarizers and
 * models registered (app/plugins.ts) and a tfjs backend.
 */
export async function deployedFromBundle(bundle: Bundle, weights: Uint8Array): Promise<Uint8Array> {
  const c = bundle.config, w = bundle.results.weights;
  const task = PUBLISHED_TASKS[c.task];
  if (!task) throw new UserError(`run ${c.id}: task ${c.task} has no published model`);
  if (!w) throw new UserError(`run ${c.id}: its bundle records no weights`);
  if (weights.length !== w.bytes || await sha256Hex(weights) !== w.sha256) {
    throw new UserError(`run ${c.id}: weights file does not match the SHA-256 its bundle records`);
  }
  if (!c.train) throw new UserError(`run ${c.id} has no training settings`);
  const model = buildModel(c.model, {
    inputShape: task.shape,
    numClasses: task.classNames.length,
    binarizer: c.binarizer,
    seed: deriveSeed(c.seed, "init"),
    width: c.width,
  });
  try {
    model.store.restore(decodeWeights(weights, w.file));
    return exportModel(model, { state: finalState(c.binarizer, c.train.epochs) });
  } finally {
    model.store.dispose();
  }
}
