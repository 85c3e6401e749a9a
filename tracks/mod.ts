/** The track registry: every track the CLI can run, by name. */
import { UserError } from "../engine/errors.ts";
import { taskTrack } from "./task.ts";
import { archTrack } from "./arch.ts";
import { robustTrack } from "./robust.ts";
import { trainTrack } from "./train_track.ts";
import { inferTrack } from "./infer.ts";
import { compTrack } from "./comp.ts";
import type { Track } from "./track.ts";

export type { GridOptions, Profile, Track, TrackTable } from "./track.ts";
export { PROFILES } from "./track.ts";

// robust and infer must come after task: they reuse the task track's saved networks.
const TRACKS: Track[] = [taskTrack, archTrack, robustTrack, trainTrack, inferTrack, compTrack];

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
