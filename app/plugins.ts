/**
 * The composition root: every binarizer, model, executor, task and track of the benchmark, registered
 * explicitly, in the order tables list them. Nothing registers itself on import; each entry point
 * (the CLIs, the worker program, the site build) calls {@link installPlugins} once before it
 * looks anything up. Adding a binarizer, a model or a track is one line here (README, "Adding
 * ..."); datasets are looked up in engine/data/mod.ts.
 */
import { BUILTIN_BINARIZERS, registerBinarizer } from "../engine/binarizers/mod.ts";
import { registerModel } from "../engine/nn/model.ts";
import { mlp } from "../engine/nn/models/mlp.ts";
import { cnn } from "../engine/nn/models/cnn.ts";
import { vggSmall } from "../engine/nn/models/vgg_small.ts";
import { resnet20 } from "../engine/nn/models/resnet20.ts";
import { transformer } from "../engine/nn/models/transformer.ts";
import { pointnet } from "../engine/nn/models/pointnet.ts";
import { fsmn } from "../engine/nn/models/fsmn.ts";
import { vit } from "../engine/nn/models/vit.ts";
import { registerExecutor } from "../engine/run.ts";
import { trainAndTest } from "../engine/executors/train.ts";
import { registerTrack } from "../tracks/registry.ts";
import { taskTrack } from "../tracks/task/track.ts";
import { BUILTIN_TASKS, registerTask } from "../tracks/task/tasks.ts";
import { archTrack } from "../tracks/arch/track.ts";
import { robustTrack } from "../tracks/robust/track.ts";
import { trainTrack } from "../tracks/train/track.ts";
import { inferTrack } from "../tracks/infer/track.ts";
import { compTrack } from "../tracks/comp/track.ts";

let installed = false;

/** Registers everything below (once per process; later calls do nothing). */
export function installPlugins(): void {
  if (installed) return;
  installed = true;

  for (const b of BUILTIN_BINARIZERS) registerBinarizer(b);

  registerModel("mlp", mlp);
  registerModel("cnn", cnn);
  registerModel("vgg-small", vggSmall);
  registerModel("resnet20", resnet20);
  registerModel("transformer", transformer);
  registerModel("pointnet", pointnet);
  registerModel("fsmn", fsmn);
  registerModel("vit", vit);

  registerExecutor("train", trainAndTest);

  for (const t of BUILTIN_TASKS) registerTask(t);

  // robust and infer come after task: they reuse the task track's saved networks.
  registerTrack(taskTrack);
  registerTrack(archTrack);
  registerTrack(robustTrack);
  registerTrack(trainTrack);
  registerTrack(inferTrack);
  registerTrack(compTrack);
}
