#!/usr/bin/env bash
# A fuzzing campaign over every parser of user files: each Jazzer target of ParserFuzzTest runs
# coverage-guided for its maxDuration (60 s), starting from the committed corpus
# (src/test/resources/dev/uniforget/fuzz/ParserFuzzTestInputs/TARGET/). A crash is written there
# as crash-<hash> (commit it: it becomes a regression test of `mvn verify`) and fails that target.
# Usage: scripts/fuzz.sh [TARGET...]   (default: all); prints runs and crashes per target.
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(safetensors idx metadataJsonl png modelConfig tokenizer labManifest promptFile maskFile)
mvn -B -o -q test-compile >/dev/null || exit 1
total=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  JAZZER_FUZZ=1 mvn -B -o -q surefire:test -Dtest="ParserFuzzTest#$t" -DfailIfNoTests=false >"$log" 2>&1
  rc=$?
  runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
  crashes=$(ls src/test/resources/dev/uniforget/fuzz/ParserFuzzTestInputs/"$t"/ 2>/dev/null | grep -c '^crash-' || true)
  echo "$t: ${runs:-?} runs, exit $rc, crash files $crashes"
  [ $rc -ne 0 ] && grep -E 'Exception|Error|==' "$log" | head -20
  total=$((total + ${runs:-0}))
  rm -f "$log"
done
echo "total: $total runs"
