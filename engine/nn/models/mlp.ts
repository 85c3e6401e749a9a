import { type Builder, ch } from "../model.ts";
import { Flatten, Sequential } from "../layers.ts";

/** MLP: fp 784->256, two binarized 256->256, fp head. */
export const mlp: Builder = (k, { inputShape, numClasses, width }) => {
  const d = inputShape.reduce((a, b) => a * b, 1);
  const h = ch(256, width);
  return new Sequential([
    new Flatten(),
    k.dense(d, h, true),
    k.bn(h),
    k.act,
    k.dense(h, h),
    k.bn(h),
    k.act,
    k.dense(h, h),
    k.bn(h),
    k.act,
    k.dense(h, numClasses, true),
  ]);
};
