#!/usr/bin/env bash
# Runs every test of the project on a fresh machine and prints one counted summary line.
#   1. installs what the tests need (scripts/install-test-deps.sh: ZooKeeper, kazoo);
#   2. builds the solution in Release and packs the packages and the tool into artifacts/packages
#      (the integration tests install them from there as a new user would);
#   3. runs every test project, writing TRX results under artifacts/test-results;
#   4. runs the benchmarks in their short mode against a server they start, and the micro benchmarks once each
#      (figures only, no verdict);
#   5. counts the results (scripts/count-test-results.sh) and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build Partitioner.sln -c Release -nologo -v quiet
rm -rf artifacts/packages
dotnet pack Partitioner.sln -c Release --no-build -nologo -v quiet -o artifacts/packages

status=0
dotnet test Partitioner.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?

# The benchmarks print figures and judge nothing; a benchmark that crashes is still a failure.
# PARTITIONER_SKIP_BENCH=1 leaves them out (for a quick local run).
if [ -z "${PARTITIONER_SKIP_BENCH:-}" ]; then
  for bench in client partitioner; do
    echo "== benchmark: $bench --short"
    if ! dotnet run -c Release --no-build --project bench/Partitioner.Benchmarks -- "$bench" --short; then
      echo "benchmark '$bench' failed" >&2
      status=1
    fi
  done
  # The in-process micro benchmarks, each once (BenchmarkDotNet's Dry job, a few seconds): only that they still run.
  echo "== benchmark: micro --dry"
  if ! dotnet run -c Release --no-build --project bench/Partitioner.Benchmarks -- micro --dry; then
    echo "benchmark 'micro' failed" >&2
    status=1
  fi
fi

scripts/count-test-results.sh "$results" || status=$?
exit "$status"
