/**
 * The worker program of `bench --workers N` (engine/grid/pool.ts starts it): the app's plugins,
 * then the engine's worker loop (engine/grid/worker.ts). Not a user entry point.
 */
import { installPlugins } from "./plugins.ts";
import { serveWorker } from "../engine/grid/worker.ts";

if (import.meta.main) {
  installPlugins();
  Deno.exit(await serveWorker());
}
