#!/usr/bin/env bash
# The main job on bundled data, run by `make demo`. Usage: demo.sh EMBGEO OUTDIR
#   1. `embgeo info` on the bundled sentence sample (all-MiniLM-L6-v2, 1640 × 384)
#   2. `embgeo report` on the sample with its attributes (rank axis for `rating`), its
#      paraphrase pairs (the modality gap) and the WordNet mammal hierarchy (hyperbolic)
set -euo pipefail
EMBGEO=${1:-embgeo}
OUT=${2:-demo-out}
mkdir -p "$OUT"

S=$("$EMBGEO" datasets path sentences)        # sentences.npy
L="${S%.npy}.csv"                              # its labels: id, text, topic, number, rating, ...
A=$("$EMBGEO" datasets path paraphrases)       # paraphrases_a.npy
B="${A%_a.npy}_b.npy"                          # paraphrases_b.npy (row-paired with A)
M=$("$EMBGEO" datasets path mammals)           # WordNet mammal closure

echo "== embgeo info $S --labels $L"
"$EMBGEO" info "$S" --labels "$L" --join row-order
"$EMBGEO" info "$S" --labels "$L" --join row-order --out "$OUT/info.json"

echo "== embgeo report (sentences + paraphrase pairs + rating + mammals)"
"$EMBGEO" report "$S" --labels "$L" --join row-order --attr rating --pairs "$A" --pairs "$B" --edges "$M" --html "$OUT/report.html" --md "$OUT/report.md" --out "$OUT/report.json"

echo
echo "report: $(cd "$OUT" && pwd)/report.html (Markdown twin: $(cd "$OUT" && pwd)/report.md)"
echo "info:   $(cd "$OUT" && pwd)/info.json"
