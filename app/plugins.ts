/**
 * The composition root: every binarizer, model, executor, task and track of the benchmark, registered
 * explicitly, in the order tables list them. Nothing registers itself on import; each entry point
 * (the CLIs, the worker program, the site build) calls {@link installPlugins} once before it
 * looks anything up. Adding a binarizer, a model, a task or a track is one line here (README,
 * "Adding ..."); datasets are looked up in engine/data/mod.ts.
 */
import { registerBinarizer } from "../engine/binarizers/mod.ts";
import { fp32 } from "../engine/binarizers/fp32.ts";
import { bnn } from "../engine/binarizers/bnn.ts";
import { xnor } from "../engine/binarizers/xnor.ts";
import { dorefa } from "../engine/binarizers/dorefa.ts";
import { bireal } from "../engine/binarizers/bireal.ts";
import { xnorpp } from "../engine/binarizers/xnorpp.ts";
import { react } from "../engine/binarizers/react.ts";
import { recu } from "../engine/binarizers/recu.ts";
import { fda } from "../engine/binarizers/fda.ts";
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
import { registerTask } from "../tracks/task/tasks.ts";
import { archTrack } from "../tracks/arch/track.ts";
import { robustTrack } from "../tracks/robust/track.ts";
import { trainTrack } from "../tracks/train/track.ts";
import { withStepTiming } from "../tracks/train/step_timing.ts";
import { inferTrack } from "../tracks/infer/track.ts";
import { compTrack } from "../tracks/comp/track.ts";

let installed = false;

/** Registers everything below (once per process; later calls do nothing). */
export function installPlugins(): void {
  if (installed) return;
  installed = true;

  // fp32 first: every ratio divides by it; bench runs every registered binarizer by default.
  registerBinarizer(fp32);
  registerBinarizer(bnn);
  registerBinarizer(xnor);
  registerBinarizer(dorefa);
  registerBinarizer(bireal);
  registerBinarizer(xnorpp);
  registerBinarizer(react);
  registerBinarizer(recu);
  registerBinarizer(fda);

  registerModel("mlp", mlp);
  registerModel("cnn", cnn);
  registerModel("vgg-small", vggSmall);
  registerModel("resnet20", resnet20);
  registerModel("transformer", transformer);
  registerModel("pointnet", pointnet);
  registerModel("fsmn", fsmn);
  registerModel("vit", vit);

  // The train track's runs time paired training steps after training (options.stepTiming).
  registerExecutor("train", withStepTiming(trainAndTest));

  // The task track's columns, in order.
  registerTask({ name: "mnist", dataset: "mnist", model: "cnn" });
  registerTask({ name: "fashion", dataset: "fashion-mnist", model: "cnn" });
  // SpamAssassin mails, BERT-like encoder; F1 with spam as the positive class.
  registerTask({
    name: "spam",
    dataset: "spam",
    model: "transformer",
    metrics: ["f1"],
    deployable: false,
  });
  // Point clouds drawn from the MNIST digits, PointNet-vanilla.
  registerTask({ name: "pointcloud", dataset: "pointcloud", model: "pointnet", deployable: false });
  // Keywords spoken by espeak-ng voices, log-mel frames, FSMN.
  registerTask({ name: "kws", dataset: "kws", model: "fsmn", deployable: false });

  // robust and infer come after task: they reuse the task track's saved networks.
  registerTrack(taskTrack);
  registerTrack(archTrack);
  registerTrack(robustTrack);
  registerTrack(trainTrack);
  registerTrack(inferTrack);
  registerTrack(compTrack);
}
