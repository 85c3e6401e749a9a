import { type Builder, ch, half } from "../model.ts";
import { Flatten, type Layer, Sequential } from "../layers.ts";

/**
 * VGG-small (the reference's CIFAR VGG-small, narrowed): fp stem, then binarized conv pairs with
 * max-pooling, 16-32-64 channels, flattened into an fp head.
 */
export const vggSmall: Builder = (k, { inputShape, numClasses, width }) => {
  let s: [number, number] = [inputShape[0], inputShape[1]];
  const [c1, c2, c3] = [ch(16, width), ch(32, width), ch(64, width)];
  const layers: Layer[] = [...k.convBlock(inputShape[2], c1, s, { fp: true })];
  layers.push(...k.convBlock(c1, c1, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c1, c2, s));
  layers.push(...k.convBlock(c2, c2, s, { pool: true }));
  s = half(s);
  layers.push(...k.convBlock(c2, c3, s));
  layers.push(...k.convBlock(c3, c3, s, { pool: true }));
  s = half(s);
  layers.push(new Flatten(), k.dense(s[0] * s[1] * c3, numClasses, true));
  return new Sequential(layers);
};
