/** The browser's SHA-256 (site/browser/sha256.ts) equals WebCrypto's at every padding edge. */
import assert from "node:assert/strict";
import { sha256Hex } from "../../site/browser/sha256.ts";
import { sha256Hex as webCrypto } from "../../engine/data/digest.ts";

Deno.test("browser SHA-256 equals WebCrypto's", async () => {
  assert.equal(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  let seed = 7;
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 70_001]) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    assert.equal(sha256Hex(b), await webCrypto(b), `${n} bytes`);
  }
});
