/**
 * The kernel choice after a race (select.ts settleKernels, race.ts): the faster family is kept
 * and the record says why and by how much, in the bundle field's shape.
 */
import assert from "node:assert/strict";
import { type KernelChoice, settleKernels } from "../../../engine/kernels/select.ts";
import { raceFamilies } from "../../../engine/kernels/race.ts";

const nativeChoice: KernelChoice = {
  kernel: "native",
  record: { family: "native-avx2", cpuFeatures: ["popcnt", "avx2"], threads: 1 },
  forced: false,
};

Deno.test("settleKernels: native kept when it won, lut with the native path and ratio when it lost", () => {
  const won = settleKernels(nativeChoice, { winner: "native", nativeSpeedup: 1.7 });
  assert.equal(won.kernel, "native");
  assert.deepEqual(won.record, {
    family: "native-avx2",
    cpuFeatures: ["popcnt", "avx2"],
    threads: 1,
    choice: "measured",
    nativeFamily: "native-avx2",
    nativeSpeedup: 1.7,
  });
  const lost = settleKernels(nativeChoice, { winner: "wasm", nativeSpeedup: 0.5 });
  assert.equal(lost.kernel, "lut");
  assert.equal(lost.native, undefined);
  assert.deepEqual(lost.record, {
    family: "lut",
    cpuFeatures: ["popcnt", "avx2"],
    threads: 1,
    choice: "measured",
    nativeFamily: "native-avx2",
    nativeSpeedup: 0.5,
  });
});

Deno.test("raceFamilies: every function runs, the winner agrees with the ratio", () => {
  const calls = [0, 0, 0, 0];
  const r = raceFamilies(
    [() => void calls[0]++, () => void calls[1]++],
    [() => void calls[2]++, () => void calls[3]++],
    3,
    0.05,
  );
  assert.ok(calls.every((c) => c >= 3), `${calls}`);
  assert.ok(Number.isFinite(r.nativeSpeedup) && r.nativeSpeedup > 0);
  assert.equal(r.winner, r.nativeSpeedup > 1 ? "native" : "wasm");
  assert.throws(() => raceFamilies([() => {}], []), RangeError);
});
