#!/usr/bin/env bash
# Counts outcomes in every TRX file under the folder given and prints
# "N passed, N failed, N skipped". Before that line it names each failed test with the first lines of its
# message, because CI shows only the end of the output and a failure must be diagnosable from there.
# Exits 1 when a test failed or none ran.
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
if [ "$failed" -gt 0 ]; then
  echo "== failed tests (at most 200 lines)"
  for trx in "$dir"/**/*.trx; do
    if command -v python3 >/dev/null 2>&1; then
      # The message says why; six lines of it are enough to tell a flake from a bug.
      python3 - "$trx" 2>/dev/null <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Passed", "NotExecuted", "Inconclusive"):
        continue
    print(f"FAILED {r.get('testName')} ({r.get('duration')})")
    message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
    for line in (message.text or "").splitlines()[:6] if message is not None else []:
        print(f"    {line[:300]}")
PY
    else
      grep -o '<UnitTestResult [^>]*' "$trx" | grep -v 'outcome="\(Passed\|NotExecuted\|Inconclusive\)"' \
        | grep -o 'testName="[^"]*"' | cut -d'"' -f2 | sed 's/^/FAILED /'
    fi
  done | head -n 200 || true
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
