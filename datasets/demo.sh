#!/usr/bin/env bash
# The main job on bundled data, run by `make demo`. Usage: demo.sh EMBGEO OUTDIR
set -euo pipefail
EMBGEO=${1:-embgeo}
OUT=${2:-demo-out}
mkdir -p "$OUT"
has() { "$EMBGEO" --help 2>/dev/null | grep -qE "│ $1 "; }

S=$("$EMBGEO" datasets path sentences)
L="${S%.npy}.csv"
A=$("$EMBGEO" datasets path paraphrases)
B="${A%_a.npy}_b.npy"
M=$("$EMBGEO" datasets path mammals)

echo "== embgeo info (bundled sentence sample)"
"$EMBGEO" info "$S" --labels "$L"
"$EMBGEO" info "$S" --labels "$L" --out "$OUT/info.json"

if has report; then
  echo "== embgeo report"
  "$EMBGEO" report "$S" --labels "$L" --attr rating --edges "$M" --out "$OUT/report.html"
  echo "report: $OUT/report.html (and $OUT/report.md)"
  exit 0
fi
if has uniformity; then
  echo "== embgeo uniformity (paraphrase pairs)"
  "$EMBGEO" uniformity "$A" --pairs "$B"
  "$EMBGEO" uniformity "$A" --pairs "$B" --out "$OUT/uniformity.json"
fi
if has id; then
  echo "== embgeo id"
  "$EMBGEO" id "$S" --out "$OUT/id.json"
  "$EMBGEO" id "$S"
fi
echo
echo "outputs: $OUT/ ($(ls "$OUT" | tr '\n' ' '))"
