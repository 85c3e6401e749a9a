import { type Builder, ch, half } from "../model.ts";
import { Flatten, type Layer, Sequential } from "../layers.ts";

/**
 * The task-track CNN: VGG-small's pattern moved to 14x14 right after an fp stem with
 * max-pooling, so no binarized layer runs at full 28x28 resolution (the wasm step time is
 * dominated by per-element work at 28x28), 32-32-64-64 binarized channels, fp head.
 */
export const cnn: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const [c0, c1, c2] = [ch(16, width), ch(32, width), ch(64, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], c0, s, { fp: true, pool: true })];
  s = half(s);
  layers.push(...k.convBlock(c0, c1, s));
  layers.push(...k.convBlock(c1, c1, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c1, c2, s));
  layers.push(...k.convBlock(c2, c2, s, { pool: true }));
  s = half(s);
  layers.push(new Flatten(), k.dense(s[0] * s[1] * c2, numClasses, true));
  return new Sequential(layers);
};
