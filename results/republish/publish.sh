#!/usr/bin/env bash
# The mechanical steps of publishing results/republish as bundles/ (issue 17), for the session that
# finds all 720 runs done (stretch 7: a dry run in a scratch clone took ~90 s and passed). Run from the repository root, on an idle machine, after
# `deno task build:kernels` and the infer track. Stops (set -e) at the first failing step; the
# hand-written parts (docs/findings.md prose, README "How the published set was made", the closing
# note) come after it. Usage: bash results/republish/publish.sh [--allow-partial]
set -euo pipefail
D="npx -y deno@2.9.6"
SRC=results/republish
COPY=${COPY:-/work/republish-copy}
N=$(find "$SRC/runs" -name '*.json' | wc -l)
echo "publish: $N bundles in $SRC"
if [ "$N" -ne 720 ] && [ "${1:-}" != "--allow-partial" ]; then
  echo "publish: expected 720 bundles (711 of the grid, 9 infer) (run the bench command again to finish the grid)" >&2
  exit 1
fi

# 1. Keep the whole run (weights included) outside the repository; the git history has its bundles.
rm -rf "$COPY" && cp -r "$SRC" "$COPY"

# 2. The publication key: the session key that signed the runs (merge --sign re-signs them all with
#    it). Its public half joins the old key in bundles/trusted-keys.json (the old key stays trusted:
#    bundles signed with it, in git history, still verify).
$D eval 'import { addTrustedKey, loadSigningKey } from "./engine/bundle/keys.ts";
const k = await loadSigningKey();
if (!k) throw new Error("no signing key: deno task keygen");
const e = { owner: k.owner, publicKey: k.publicKey, fingerprint: k.keyId };
const added = await addTrustedKey("bundles/trusted-keys.json", e);
console.log(`publish: ${e.fingerprint} ${added ? "added to" : "already in"} bundles/trusted-keys.json`);'

# 3. Replace the published set: bundles only, re-signed with the publication key.
git rm -r -q bundles/runs
git rm -r -q --cached "$SRC" && rm -rf "$SRC"
$D task merge "$COPY" --out bundles --no-weights --sign

# 4. The weights the site's in-browser page needs: task MNIST / Fashion cnn, seed 0, 18 files.
for w in "$COPY"/runs/task/{mnist,fashion}/cnn/*/seed0.weights.bin; do
  rel=${w#"$COPY"/}
  cp "$w" "bundles/$rel"
done
echo "publish: $(ls bundles/runs/task/{mnist,fashion}/cnn/*/seed0.weights.bin | wc -l) weights files beside the bundles"

# 5. Everything verifies (signatures, content ids, weights digests) against the trusted keys.
$D task verify bundles/

# 6. Generated views: README leaderboard, docs/findings.md numbers and tables, the site.
$D task readme
$D task findings --previous docs/previous-set.json || echo "publish: findings failed (read above)"
$D task site
echo "publish: mechanical steps done; next: verify --reproduce (one per track + a binarized run with its parent), findings prose, README, screenshot, byte-identical rebuild, CI"
