/**
 * Device bundles ("Measure this device"): the schema (generated file in sync, strict fingerprint),
 * verification (valid with an untrusted browser key, trusted when the key is listed), and every
 * way a forged field fails — each leaf of a bundle changed one at a time, the content id
 * re-derived, the bundle re-signed by the forger's own key where the rules catch it.
 */
import assert from "node:assert/strict";
import {
  DEVICE_SCHEMA_FILE,
  type DeviceBundle,
  deviceBundleSchema,
} from "../../engine/bundle/schema.ts";
import { contentId } from "../../engine/bundle/canonical.ts";
import { verifyBytes, type VerifyOptions } from "../../engine/bundle/verify.ts";
import { UNTRUSTED_DEVICE_KEY } from "../../engine/bundle/device.ts";
import { main as verifyMain } from "../../app/verify.ts";
import { planMerge } from "../../engine/bundle/merge.ts";
import { bytesOf, leafPaths, setAt, tempKey } from "../../benches/fixtures/bundles.ts";
import {
  fixtureDevice,
  fixtureDeviceBundle,
  measuredDeviceBundle,
  USER_AGENTS,
} from "../../benches/fixtures/devices.ts";
import { signDeviceBundle } from "../../site/device/key.ts";
import { installPlugins } from "../../app/plugins.ts";

installPlugins();

const k = await tempKey("alice");
const opts: VerifyOptions = { trusted: k.trusted };

async function check(v: unknown) {
  return await verifyBytes(bytesOf(v), "device.json", opts);
}

/** The forger's way: change the body, re-derive the id, sign with a fresh key of their own. */
async function resigned(b: DeviceBundle): Promise<DeviceBundle> {
  const { id: _id, signature: _s, ...body } = b;
  return await signDeviceBundle(body, (await tempKey("forger")).key);
}

Deno.test("device schema file is generated from schema.ts and up to date", async () => {
  const file = JSON.parse(
    await Deno.readTextFile(new URL(`../../engine/bundle/${DEVICE_SCHEMA_FILE}`, import.meta.url)),
  );
  assert.deepEqual(file, JSON.parse(JSON.stringify(deviceBundleSchema)), "run: deno task schema");
});

Deno.test("a measured device bundle verifies: untrusted browser key, trusted once listed", async () => {
  // A real measurement: the site's models on the deploy runtime, the worker's protocol.
  const b = await measuredDeviceBundle(["bnn"], 20);
  assert.equal(b.results.length, 2);
  for (const r of b.results) assert.ok(r.speedup > 0 && r.latencyMs > 0 && r.samples >= 3);
  const v = await check(b);
  assert.ok(v.ok, v.reason);
  assert.equal(v.bundle, undefined);
  assert.equal(v.device?.id, b.id);
  assert.deepEqual(v.notes, [UNTRUSTED_DEVICE_KEY]);
  assert.equal(v.signer, undefined);
  // The same key in the trusted list: a named signer, no note.
  const owned = await fixtureDeviceBundle(fixtureDevice(USER_AGENTS.desktop), { key: k.key });
  const t = await check(owned);
  assert.ok(t.ok, t.reason);
  assert.deepEqual(t.notes, []);
  assert.equal(t.signer?.owner, "alice");
});

Deno.test("every forged field of a device bundle fails verification", async () => {
  const b = await fixtureDeviceBundle(fixtureDevice(USER_AGENTS.mobile));
  assert.ok((await check(b)).ok);
  let n = 0;
  for (const [path, value] of leafPaths(b)) {
    if (path[0] === "signature" || path[0] === "id") continue;
    const forged = setAt(structuredClone(b), path, changedValue(value));
    const v = await check(forged);
    assert.equal(v.ok, false, `forged ${path.join(".")} passed`);
    assert.match(
      v.reason!,
      /content id mismatch|schema:|unsupported schema version/,
      path.join("."),
    );
    n++;
  }
  assert.ok(n > 30, `${n} leaves`);
  // The fingerprint with the id re-derived but the original signature: a bad signature.
  const forged = structuredClone(b);
  forged.device.cores = 64;
  const { id: _id, signature: _s, ...body } = forged;
  forged.id = await contentId(body as unknown as Parameters<typeof contentId>[0]);
  const v = await check(forged);
  assert.equal(v.ok, false);
  assert.match(v.reason!, /bad signature/);
});

/** A different value of the same JSON type. */
function changedValue(v: unknown): unknown {
  if (typeof v === "number") return v === 1 ? 2 : v * 2 + 1;
  if (typeof v === "boolean") return !v;
  if (typeof v === "string") {
    return v.length > 0 ? v.slice(0, -1) + (v.endsWith("x") ? "y" : "x") : "x";
  }
  return v;
}

Deno.test("the fingerprint is strict: enumerated, bounded, consistent", async () => {
  const base = fixtureDevice(USER_AGENTS.desktop);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["extra field", { ...base, hostname: "alice-laptop" }, /unexpected field \/device\/hostname/],
    ["memory not a browser bucket", { ...base, memoryGiB: 3 }, /memoryGiB: must be one of/],
    ["control character", { ...base, userAgent: "Mozilla\u0007" }, /userAgent.*expected form/],
    ["non-ASCII", { ...base, userAgent: "Mozilla/5.0 \u202e" }, /userAgent.*expected form/],
    ["too long", { ...base, userAgent: "M".repeat(513) }, /userAgent: 513 characters/],
    ["cores", { ...base, cores: 0 }, /cores: 0 is out of range/],
    ["class", { ...base, class: "server" }, /class: must be one of/],
    ["class against the user agent", { ...base, class: "mobile" }, /inconsistent: device\.class/],
  ];
  for (const [what, device, reason] of bad) {
    // Signed by the forger: only the schema and the rules stand in the way.
    const b = await resigned({
      ...(await fixtureDeviceBundle(base)),
      device: device as DeviceBundle["device"],
    });
    const v = await check(b);
    assert.equal(v.ok, false, what);
    assert.match(v.reason!, reason, what);
  }
  // Memory is optional (not every browser exposes it).
  const { memoryGiB: _m, ...noMemory } = base;
  assert.ok((await check(await fixtureDeviceBundle(noMemory))).ok);
});

Deno.test("device results must be one per binarizer and batch; unsigned is refused", async () => {
  const b = await fixtureDeviceBundle(fixtureDevice(USER_AGENTS.desktop));
  const dup = structuredClone(b);
  dup.results[1] = { ...dup.results[0] };
  assert.match((await check(await resigned(dup))).reason!, /appears twice/);
  const missing = structuredClone(b);
  missing.results.pop();
  assert.match((await check(await resigned(missing))).reason!, /3 results for 2 model/);
  const stray = structuredClone(b);
  stray.results[0].binarizer = "react";
  assert.match((await check(await resigned(stray))).reason!, /react has no model file/);
  const { signature: _s, ...unsigned } = b;
  assert.match((await check(unsigned)).reason!, /missing field \/signature/);
});

Deno.test("verify CLI: a device bundle is a valid device bundle by an untrusted key; merge skips it", async () => {
  const dir = await Deno.makeTempDir();
  const b = await fixtureDeviceBundle(fixtureDevice(USER_AGENTS.mobile));
  await Deno.writeFile(`${dir}/device.json`, bytesOf(b));
  const forged = structuredClone(b);
  forged.device.relaxedSimd = !forged.device.relaxedSimd;
  await Deno.writeFile(`${dir}/forged.json`, bytesOf(forged));
  const lines: string[] = [];
  const code = await verifyMain(["--trusted", k.trustedFile, dir], (s) => lines.push(s));
  assert.equal(code, 1);
  const text = lines.join("\n");
  assert.match(text, /ok {4}\S+device\.json {2}device bundle: mobile, 8 cores, 4 timings/);
  assert.match(text, /untrusted key \(made in the browser\)/);
  assert.match(text, /FAIL {2}\S+forged\.json: content id mismatch/);
  const plan = await planMerge([dir], k.trusted);
  assert.equal(plan.items.length, 0);
  assert.ok(plan.problems.some((p) => p.includes("a device bundle")));
  await Deno.remove(dir, { recursive: true });
});
