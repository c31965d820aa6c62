#!/usr/bin/env bash
# Run every peer recipe once over the first N SST-2 validation rows (default 100) and keep the rows in
# $PEERS_RESULTS (default /work/peers/results) as <tool>-<recipe>-n<N>-<resources digest>.jsonl, the files
# `benchmarks/attack_parity.py --peer-cache DIR` reuses. Resumable: a killed run continues where it stopped.
# Goes in passes (first 10 rows of every recipe, then 30, then all N) so a partial run still covers every recipe.
# One attack at a time. Usage: benchmarks/peers/run_all_peers.sh [N]
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PEERS_VENV:-/work/peers/venv}/bin/python"
OUT="${PEERS_RESULTS:-/work/peers/results}"
N="${1:-100}"
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
DIGEST="$("$PY" "$HERE/run_peer.py" --digest 2>/dev/null | tail -1)"
JOBS=("openattack pwws" "textattack pwws" "openattack textfooler" "textattack textfooler"
      "openattack textbugger" "textattack textbugger" "openattack hotflip-blackbox" "textattack hotflip")
for pass in 10 30 "$N"; do
  (( pass > N )) && pass="$N"
  for job in "${JOBS[@]}"; do
    read -r tool recipe <<<"$job"
    file="$OUT/$tool-$recipe-n$N-$DIGEST.jsonl"
    echo "$(date +%T) $tool $recipe: rows $(wc -l < "$file" 2>/dev/null || echo 0) -> $pass"
    timeout 7200 "$PY" "$HERE/run_peer.py" --tool "$tool" --recipe "$recipe" --n "$pass" --out "$file" --resume \
      2>>"$OUT/$tool-$recipe.log"
  done
done
echo "$(date +%T) done"
