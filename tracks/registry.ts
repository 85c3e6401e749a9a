/**
 * The track registry: every track the CLI runs and the site shows, by name, in registration
 * order (the order grids run and tables print). The composition root (app/plugins.ts) registers
 * the built-in tracks; a test can register its own. Registering a track registers the executors
 * it declares (`Track.executors`) with the engine.
 */
import { UserError } from "../engine/errors.ts";
import { registerExecutor } from "../engine/run.ts";
import type { Track } from "./track.ts";

export type { GridOptions, Profile, Track, TrackTable } from "./track.ts";
export { PROFILES } from "./track.ts";

const TRACKS: Track[] = [];

/** Registers a track (after the tracks it reuses runs of) and the executors it declares. */
export function registerTrack(track: Track): Track {
  if (!/^[a-z][a-z0-9_-]*$/.test(track.name)) {
    throw new Error(`track name "${track.name}" must be lowercase letters, digits, - or _`);
  }
  if (TRACKS.some((t) => t.name === track.name)) {
    throw new Error(`track "${track.name}" is already registered`);
  }
  for (const [kind, executor] of Object.entries(track.executors ?? {})) {
    registerExecutor(kind, executor);
  }
  TRACKS.push(track);
  return track;
}

/** The registered tracks, in order. */
export function tracks(): readonly Track[] {
  return TRACKS;
}

/** Names of all tracks, in the order they run. */
export function trackNames(): string[] {
  return TRACKS.map((t) => t.name);
}

/** Looks a track up; an unknown name is a user error listing the known ones. */
export function getTrack(name: string): Track {
  const t = TRACKS.find((t) => t.name === name);
  if (!t) throw new UserError(`unknown track "${name}" (known: ${trackNames().join(", ")})`);
  return t;
}
