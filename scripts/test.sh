#!/usr/bin/env bash
# Runs every test of the project on a fresh machine and prints one counted summary line.
#   1. installs what the tests need (scripts/install-test-deps.sh: ZooKeeper, kazoo);
#   2. builds the solution in Release;
#   3. runs every test project, writing TRX results under artifacts/test-results;
#   4. counts the results (scripts/count-test-results.sh) and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build Partitioner.sln -c Release -nologo -v quiet

status=0
dotnet test Partitioner.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?

scripts/count-test-results.sh "$results" || status=$?
exit "$status"
