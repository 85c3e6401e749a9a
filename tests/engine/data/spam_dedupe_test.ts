/**
 * Data validity of the spam task: the text the model sees carries no mailing-list tag and no MIME
 * part header; near-duplicate groups are found exactly (checked against brute force) and never
 * split; and, on the real SpamAssassin package for seeds 0-2, no test mail's model input (token
 * ids after out-of-vocabulary mapping and truncation) equals a training or validation mail's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  loadSpamDetailed,
  mailText,
  SPAM_SEQ_LEN,
  SPAM_SHINGLE_TOKENS,
  SPAM_SHINGLE_WIDTH,
  spamDataDir,
  stripListTags,
  stripMimeParts,
  tokenize,
} from "../../../engine/data/spam.ts";
import { mimeBoundaries } from "../../../engine/data/mail.ts";
import {
  jaccard,
  nearDuplicateGroups,
  shingleSets,
  similarPairs,
} from "../../../engine/data/near_duplicates.ts";
import { groupedStratifiedPick } from "../../../engine/data/grouped_split.ts";
import { Rng } from "../../../engine/rng.ts";

const TAGS = /\[(ilug|ilug-social|razor-users|satalk|sadev|spambayes|zzzzteana|use perl|sa)\]/i;

Deno.test("mail text: list tags leave the Subject, bracketed quotes stay", () => {
  assert.equal(
    stripListTags(" Re: [ILUG] Re: [ILUG] cheap [was: old] x"),
    " Re:   Re:   cheap [was: old] x",
  );
  assert.equal(stripListTags("[Razor-users] [use Perl] hi"), "    hi");
  assert.equal(
    mailText("Subject: Re: [SAtalk] spam filters\nFrom: a\n\nbody"),
    " Re:   spam filters\nbody",
  );
});

Deno.test("mail text: MIME boundaries, part headers and the preamble are dropped", () => {
  const raw = [
    "Subject: hello",
    'Content-Type: multipart/alternative; boundary="b1"',
    "",
    "This is a multi-part message in MIME format.",
    "--b1",
    "Content-Type: text/plain;",
    '\tcharset="iso-8859-1"',
    "Content-Transfer-Encoding: 7bit",
    "",
    "plain words",
    "--b1",
    "Content-Type: text/html",
    "",
    "<b>html words</b>",
    "--b1--",
    "",
  ].join("\r\n");
  assert.deepEqual(mimeBoundaries(raw), ["b1"]);
  assert.equal(mailText(raw), " hello\nplain words\n<b>html words</b>");
  assert.deepEqual(tokenize(mailText(raw)), ["hello", "plain", "words", "b", "html", "words", "b"]);
  // No declared boundary: the body is left alone, even if it quotes a header.
  assert.equal(stripMimeParts("--x\nContent-Type: a\n\nb", []), "--x\nContent-Type: a\n\nb");
  // `-mpreferred-stack-boundary=2` in a body is not a boundary declaration.
  assert.deepEqual(mimeBoundaries("Subject: x\n\ngcc -mpreferred-stack-boundary=2"), []);
});

Deno.test("near duplicates: similarPairs equals brute force over shingle sets", () => {
  const word = fc.constantFrom("a", "b", "c", "d", "e", "f");
  fc.assert(
    fc.property(
      fc.array(fc.array(word, { maxLength: 14 }), { maxLength: 14 }),
      fc.constantFrom<[number, number]>([9, 10], [1, 2], [2, 3], [1, 1]),
      fc.integer({ min: 1, max: 4 }),
      (docs, t, width) => {
        const sets = shingleSets(docs, width);
        const want: Array<[number, number]> = [];
        for (let i = 0; i < sets.length; i++) {
          for (let j = i + 1; j < sets.length; j++) {
            if (sets[i].length && sets[j].length && jaccard(sets[i], sets[j]) * t[1] >= t[0]) {
              want.push([i, j]);
            }
          }
        }
        assert.deepEqual(similarPairs(sets, t), want);
      },
    ),
    { numRuns: 300 },
  );
  // A one-token change in a 40-token text changes 5 of its 36 five-token shingles: 31 / 41.
  const base = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const near = base.map((w, i) => (i === 20 ? "other" : w));
  const sets = shingleSets([base, near]);
  assert.equal(jaccard(sets[0], sets[1]), 31 / 41);
  const long = Array.from({ length: 200 }, (_, i) => `w${i}`);
  const longNear = long.map((w, i) => (i === 100 ? "other" : w));
  assert.deepEqual([...nearDuplicateGroups([base, long, ["x"], longNear])], [0, 1, 2, 1]);
});

Deno.test("grouped split: whole groups, class shares, seeded", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 30 })), {
        minLength: 1,
        maxLength: 80,
      }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer(),
      (rows, share, seed) => {
        const labels = Uint8Array.from(rows, (r) => r[0]);
        const groups = Int32Array.from(rows, (r) => r[1]);
        const idx = Int32Array.from(rows.keys());
        const count = Math.round(share * rows.length);
        const a = groupedStratifiedPick(labels, groups, idx, count, 2, new Rng(seed));
        const b = groupedStratifiedPick(labels, groups, idx, count, 2, new Rng(seed));
        assert.deepEqual(a, b);
        assert.equal(a.picked.length + a.rest.length, rows.length);
        assert.ok(a.picked.length <= count);
        const side = new Map<number, boolean>();
        for (const i of a.picked) side.set(groups[i], true);
        for (const i of a.rest) assert.notEqual(side.get(groups[i]), true, "group split");
      },
    ),
  );
  // Singletons: exactly the stratified count.
  const labels = Uint8Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
  const groups = Int32Array.from({ length: 100 }, (_, i) => i);
  const p = groupedStratifiedPick(labels, groups, groups, 20, 2, new Rng(1)).picked;
  assert.equal(p.length, 20);
  assert.equal([...p].filter((i) => labels[i] === 1).length, 6);
});

Deno.test("spam, real package: no list tag or MIME part header reaches the model", async () => {
  const root = spamDataDir();
  const names: string[] = JSON.parse(await Deno.readTextFile(join(root, "file_list.json")));
  const decoder = new TextDecoder();
  let taggedBefore = 0, partHeaders = 0;
  for (const name of names) {
    const raw = decoder.decode(await Deno.readFile(join(root, name)));
    const subject = /^subject:(.*)$/im.exec(raw.slice(0, raw.search(/\r?\n\r?\n/)))?.[1] ?? "";
    if (TAGS.test(subject)) taggedBefore++;
    const text = mailText(raw);
    assert.ok(!TAGS.test(text.slice(0, text.indexOf("\n"))), `${name}: list tag survives`);
    const boundaries = mimeBoundaries(raw);
    for (const line of text.split("\n")) {
      const rest = line.trimEnd().slice(2);
      assert.ok(
        !(line.startsWith("--") && boundaries.some((b) => rest === b || rest === `${b}--`)),
        `${name}: MIME boundary line survives`,
      );
    }
    if (/^content-(type|transfer-encoding|disposition):/im.test(text)) partHeaders++;
  }
  // 1,477 raw Subjects carry one of these tags (1,399 ham, 78 spam): the check can fail.
  assert.equal(taggedBefore, 1477);
  // 532 mails had Content-* lines in their text before; 32 remain, all inside quoted or
  // PGP-signed messages in a body (not this mail's MIME structure).
  assert.equal(partHeaders, 32);
});

Deno.test("spam, real package: model inputs and near-duplicate groups never cross splits", async () => {
  const root = spamDataDir();
  const decoder = new TextDecoder();
  for (const seed of [0, 1, 2]) {
    const { dataset: d, stats, mails } = await loadSpamDetailed({ seed });
    const key = (x: Float32Array, k: number) =>
      x.subarray(k * SPAM_SEQ_LEN, (k + 1) * SPAM_SEQ_LEN).join(",");
    const keys = (s: typeof d.train) => new Set(Array.from({ length: s.n }, (_, k) => key(s.x, k)));
    const [train, val] = [keys(d.train), keys(d.val)];
    for (let k = 0; k < d.test.n; k++) {
      const kk = key(d.test.x, k);
      assert.ok(
        !train.has(kk) && !val.has(kk),
        `seed ${seed}: test ${mails.test[k]} = a train/val input`,
      );
    }
    for (let k = 0; k < d.val.n; k++) {
      assert.ok(!train.has(key(d.val.x, k)), `seed ${seed}: val ${mails.val[k]} = a train input`);
    }
    assert.equal(d.train.n + d.val.n + d.test.n + stats.droppedTrain + stats.droppedVal, 5785);
    assert.ok(stats.droppedTrain > 0, "collisions exist, so the check above can fail");
    if (seed !== 0) continue;
    // Near-duplicate groups (recomputed from the mails): each lies in one split.
    const all = [...mails.train, ...mails.val, ...mails.test];
    const split = [
      ...mails.train.map(() => 0),
      ...mails.val.map(() => 1),
      ...mails.test.map(() => 2),
    ];
    const docs = await Promise.all(
      all.map(async (n) =>
        tokenize(mailText(decoder.decode(await Deno.readFile(join(root, n)))), SPAM_SHINGLE_TOKENS)
      ),
    );
    const sets = shingleSets(docs, SPAM_SHINGLE_WIDTH);
    const pairs = similarPairs(sets, [9, 10]);
    assert.ok(pairs.length > 300, "near duplicates exist, so the check below can fail");
    for (const [a, b] of pairs) {
      assert.equal(split[a], split[b], `near duplicates ${all[a]} and ${all[b]} in two splits`);
    }
  }
});
