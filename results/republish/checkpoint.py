#!/usr/bin/env python3
"""Stages results/republish for a commit: every bundle, plus the weights a later session needs
(task {mnist,fashion} cnn seed0 for the site and infer; fp32 parents with unfinished children;
task runs whose robust run is unfinished). Run from the repository root: git add -f $(python3 results/republish/checkpoint.py)"""
import glob, os
R = "results/republish/runs"
out = sorted(glob.glob(f"{R}/**/*.json", recursive=True))
def done(run_id): return os.path.exists(f"{R}/{run_id}.json")
BINS = ["bnn","xnor","dorefa","bireal","xnorpp","react","recu","fda"]
for w in sorted(glob.glob(f"{R}/**/*.weights.bin", recursive=True)):
    rid = w[len(R)+1:-len(".weights.bin")]
    track, task, model, binz, seed = rid.split("/")
    keep = track == "task" and task in ("mnist", "fashion") and model == "cnn" and seed == "seed0"
    if binz == "fp32" and any(not done(f"{track}/{task}/{model}/{b}/{seed}") for b in BINS):
        keep = True
    if track == "task" and task in ("mnist", "fashion") and not done(f"robust/{task}/{model}/{binz}/{seed}"):
        keep = True
    if keep: out.append(w)
print("\n".join(out))
