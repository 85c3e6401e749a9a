/**
 * Test helper: three simulated workers drain a Dispatcher (engine/grid/pool.ts), each run taking a
 * few varied milliseconds; `started` sees each run as it is handed out (assertions go there), then
 * the run ends. Returns the ids in the order they were handed out.
 */
import type { Dispatcher } from "../engine/grid/pool.ts";
import type { RunSpec } from "../engine/run.ts";

export async function drainDispatcher(
  d: Dispatcher,
  started: (spec: RunSpec) => void,
  ended: (spec: RunSpec) => void = () => {},
): Promise<string[]> {
  const log: string[] = [];
  const worker = async (w: number) => {
    for (let s = await d.take(); s; s = await d.take()) {
      started(s);
      log.push(s.id);
      await new Promise((r) => setTimeout(r, 1 + ((w * 7 + log.length * 3) % 5)));
      ended(s);
      d.finish(s);
    }
  };
  await Promise.all([0, 1, 2].map(worker));
  return log;
}
