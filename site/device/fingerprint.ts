/**
 * The browser's fingerprint for a device bundle: user agent, device class, logical cores,
 * WebAssembly SIMD and relaxed-SIMD support, device memory where the browser exposes it —
 * nothing that identifies a person. Runs in the measurement worker (WorkerNavigator has them all).
 */
import { deviceClassOf } from "../../engine/bundle/device_class.ts";
import { type DeviceInfo, MAX_USER_AGENT } from "../../engine/bundle/schema.ts";

/** `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`: validates with SIMD. */
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
]);
/** `i8x16.relaxed_swizzle` of two splats: validates with relaxed SIMD. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  15,
  1,
  13,
  0,
  65,
  1,
  253,
  15,
  65,
  2,
  253,
  15,
  253,
  128,
  2,
  11,
]);

/** Memory sizes navigator.deviceMemory may report (the schema's enumeration). */
const MEMORY_GIB = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

function validates(bytes: Uint8Array): boolean {
  try {
    return WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

/** What a navigator tells about the device, in the schema's bounds. */
export function deviceInfo(nav: {
  userAgent?: string;
  hardwareConcurrency?: number;
  deviceMemory?: number;
}): DeviceInfo {
  // Printable ASCII only, bounded: the one free string of a device bundle.
  const ua = (nav.userAgent ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, MAX_USER_AGENT) ||
    "unknown";
  const cores = Math.min(1024, Math.max(1, Math.floor(Number(nav.hardwareConcurrency) || 1)));
  const info: DeviceInfo = {
    userAgent: ua,
    class: deviceClassOf(ua),
    cores,
    simd: validates(SIMD_PROBE),
    relaxedSimd: validates(RELAXED_SIMD_PROBE),
  };
  if (MEMORY_GIB.includes(nav.deviceMemory as number)) {
    info.memoryGiB = nav.deviceMemory as DeviceInfo["memoryGiB"];
  }
  return info;
}
