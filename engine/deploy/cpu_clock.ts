/**
 * The process CPU clock for the timing protocol under Deno (timing.ts stays platform-neutral:
 * the site's measurement worker runs it in a browser, which has no such clock).
 */
import process from "node:process";
import type { CpuClock } from "./timing.ts";

/** Process CPU milliseconds (user + system) since the process started. */
export const processCpuMs: CpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
