/**
 * The site's "Devices" data: device bundles dropped into `bundles/devices/` (made by the
 * "Measure this device" page), verified like `deno task verify` does (a browser key outside the
 * trusted list is shown as untrusted, not refused), one table row per device, the speed-ups
 * grouped by device class for the chart, and the published speed-ups (the infer track's, per
 * binarizer and batch size) the page shows beside a new measurement.
 */
import { basename, join, relative, resolve } from "node:path";
import { collectBundleFiles, verifyFile } from "../../engine/bundle/verify.ts";
import type { TrustedKeys } from "../../engine/bundle/keys.ts";
import type { ChartDef, TrackView } from "../../tracks/presentation.ts";
import { r3, vlSpec } from "../../tracks/charts.ts";
import type { Excluded } from "./aggregate.ts";

/** Where device bundles live, under the bundles directory. */
export const DEVICES_DIR = "devices";

/** Whether `path` lies in the device-bundle folder of the bundles directory `dir`. */
export function isDeviceFile(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path)).split("\\").join("/");
  return rel.startsWith(`${DEVICES_DIR}/`);
}

/** One device bundle as the table shows it. */
export interface DeviceRow {
  file: string;
  id: string;
  created: string;
  class: string;
  userAgent: string;
  cores: number;
  memoryGiB: number | null;
  simd: boolean;
  relaxedSimd: boolean;
  /** Trusted signer's owner, or null (untrusted browser key). */
  signer: string | null;
  keyId: string;
  /** Mean over the binarized models of the speed-up, per batch size ("1", "64"). */
  speedups: Record<string, number>;
}

/** What the Devices section reads (`_data/devices.json`). */
export interface DevicesData {
  rows: DeviceRow[];
  excluded: Excluded[];
  /** Published speed-ups: binarizer -> batch size -> mean over the infer track's models. */
  published: Record<string, Record<string, number>>;
  /** The site's version (deno.json), which a device bundle records. */
  version?: string;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Verifies the device bundles of `dir/devices/` (none there: an empty list). */
export async function loadDevices(dir: string, trusted: TrustedKeys): Promise<{
  rows: DeviceRow[];
  excluded: Excluded[];
}> {
  const root = join(dir, DEVICES_DIR);
  const present = await Deno.stat(root).then((i) => i.isDirectory, () => false);
  if (!present) return { rows: [], excluded: [] };
  const rows: DeviceRow[] = [], excluded: Excluded[] = [];
  const rel = (p: string) => relative(dir, p).split("\\").join("/");
  const seen = new Set<string>();
  for (const path of await collectBundleFiles([root])) {
    const v = await verifyFile(path, { trusted });
    if (!v.ok || !v.device) {
      const reason = v.ok ? "a run bundle in the devices folder" : v.reason ?? "not verified";
      excluded.push({
        file: rel(path),
        reason: reason.split(resolve(dir)).join("…").split(trusted.path).join(
          basename(trusted.path),
        ),
      });
      continue;
    }
    const d = v.device;
    if (seen.has(d.id)) {
      excluded.push({ file: rel(path), reason: "identical to another device bundle, shown once" });
      continue;
    }
    seen.add(d.id);
    const speedups: Record<string, number> = {};
    for (const n of d.protocol.batches) {
      const s = d.results.filter((r) => r.batch === n).map((r) => r.speedup);
      speedups[String(n)] = s.reduce((a, b) => a + b, 0) / s.length;
    }
    rows.push({
      file: rel(path),
      id: d.id,
      created: d.created,
      class: d.device.class,
      userAgent: d.device.userAgent,
      cores: d.device.cores,
      memoryGiB: d.device.memoryGiB ?? null,
      simd: d.device.simd,
      relaxedSimd: d.device.relaxedSimd,
      signer: v.signer?.owner ?? null,
      keyId: d.signature.keyId,
      speedups,
    });
  }
  rows.sort((a, b) => cmp(a.class, b.class) || cmp(a.created, b.created) || cmp(a.id, b.id));
  excluded.sort((a, b) => cmp(a.file, b.file));
  return { rows, excluded };
}

/** The infer track's speed-ups: per binarizer and batch size, the mean over its models. */
export function publishedSpeedups(infer: TrackView | undefined): DevicesData["published"] {
  const out: DevicesData["published"] = {};
  if (!infer) return out;
  for (const row of infer.rows) {
    const per: Record<string, number[]> = {};
    row.cells.forEach((c, i) => {
      const m = / b(\d+)$/.exec(infer.columns[i]);
      if (m && c?.ratio != null && Number.isFinite(c.ratio)) (per[m[1]] ??= []).push(c.ratio);
    });
    const mean: Record<string, number> = {};
    for (const [b, v] of Object.entries(per)) {
      mean[b] = r3(v.reduce((x, y) => x + y, 0) / v.length) ?? 0;
    }
    if (Object.keys(mean).length > 0 && row.binarizer !== "fp32") out[row.binarizer] = mean;
  }
  return out;
}

/** The Devices chart: each device's mean speed-up per batch size, grouped by device class. */
export function devicesChart(d: DevicesData): ChartDef | null {
  const values = d.rows.flatMap((r) =>
    Object.entries(r.speedups).map(([batch, s]) => ({
      class: r.class,
      batch: `batch ${batch}`,
      speedup: r3(s),
      device: `${r.class}, ${r.cores} cores`,
    }))
  );
  if (values.length === 0) return null;
  return {
    id: "devices",
    title: "Speed-up over fp32 by device class",
    description: "Points: each measured device's mean speed-up T_fp / T_bi over the binarized " +
      "models (median of paired samples, the infer track's protocol, in the browser); bars: the " +
      "mean per device class and batch size. The dashed line is 1 (as fast as fp32).",
    spec: vlSpec("Speed-up over fp32 by device class and batch size", {
      data: { values },
      layer: [
        {
          mark: { type: "bar", opacity: 0.5, tooltip: true },
          encoding: {
            x: { field: "class", type: "nominal", title: null, sort: ["desktop", "mobile"] },
            xOffset: { field: "batch", type: "nominal" },
            y: { aggregate: "mean", field: "speedup", type: "quantitative", title: "speed-up (×)" },
            color: { field: "batch", type: "nominal", title: null },
          },
        },
        {
          mark: { type: "point", filled: true, tooltip: true },
          encoding: {
            x: { field: "class", type: "nominal", sort: ["desktop", "mobile"] },
            xOffset: { field: "batch", type: "nominal" },
            y: { field: "speedup", type: "quantitative" },
            color: { field: "batch", type: "nominal" },
            tooltip: [
              { field: "device", type: "nominal" },
              { field: "batch", type: "nominal" },
              { field: "speedup", type: "quantitative", format: ".2f" },
            ],
          },
        },
        {
          mark: { type: "rule", strokeDash: [4, 3], color: "#555" },
          encoding: { y: { datum: 1 } },
        },
      ],
      width: { step: 60 },
      height: 220,
    }),
    alt: {
      columns: ["device class", "batch", "speed-up"],
      rows: values.map((v) => [v.class, v.batch, v.speedup]),
    },
  };
}
