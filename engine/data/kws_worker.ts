/**
 * Worker thread of the keyword-spotting generation (kws.ts): makes the features of its share of
 * the utterances with its own synthesizer and sends them back.
 */
import { type KwsConfig, type Utterance, utteranceFeatures } from "./kws.ts";
import { loadEspeak } from "./espeak.ts";

interface Job {
  cfg: KwsConfig;
  list: Utterance[];
}

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = async (e: MessageEvent<Job>) => {
  try {
    const features = utteranceFeatures(e.data.cfg, e.data.list, await loadEspeak());
    scope.postMessage({ features }, [features.buffer]);
  } catch (err) {
    scope.postMessage({ error: (err as Error).message });
  }
};
