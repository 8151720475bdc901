#!/usr/bin/env bash
# Counts outcomes in every TRX file under the folder given and prints
# "N passed, N failed, N skipped". Exits 1 when a test failed or none ran.
set -euo pipefail
dir=${1:?usage: count-test-results.sh RESULTS_DIR}
passed=0; failed=0; skipped=0
shopt -s nullglob globstar
for trx in "$dir"/**/*.trx; do
  # One <UnitTestResult ... outcome="X"> per test case (theory rows included).
  while read -r outcome; do
    case "$outcome" in
      Passed) passed=$((passed + 1)) ;;
      NotExecuted|Inconclusive) skipped=$((skipped + 1)) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done < <(grep -o '<UnitTestResult [^>]*' "$trx" | grep -o 'outcome="[A-Za-z]*"' | cut -d'"' -f2)
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
