#!/usr/bin/env bash
# Runs every test of the project on a fresh machine and prints one counted summary line.
#   1. installs what the tests need (scripts/install-test-deps.sh: ZooKeeper, kazoo);
#   2. builds the solution in Release and packs the packages and the tool into artifacts/packages
#      (the integration tests install them from there as a new user would);
#   3. runs every test project (the integration tests beside the others, which run one at a time), writing TRX
#      results under artifacts/test-results;
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
# The integration tests (real servers, timeouts of a few seconds) run beside the in-process projects, and those run
# one at a time: at most two test processes share the machine's cores, the load the integration tests always ran
# under, so that they never run beside two CPU-bound FsCheck runs at once (dotnet test of the solution would start
# one test process per core, in an order of its own). Every test project under tests/ is run.
run_tests() {
  dotnet test "$1" -c Release --no-build -nologo \
    --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results"
}
run_tests tests/Integration > "$results/integration.log" 2>&1 &
integration=$!
for project in tests/*/*.Tests.csproj; do
  case "$project" in tests/Integration/*) continue ;; esac
  run_tests "$project" || status=1
done
wait "$integration" || status=1
# Its output is held back until it ends, so that the two runs' lines do not interleave.
echo "== tests/Integration"
cat "$results/integration.log"

# The benchmarks print figures and judge nothing; a benchmark that crashes is still a failure.
# PARTITIONER_SKIP_BENCH=1 leaves them out (for a quick local run).
if [ -z "${PARTITIONER_SKIP_BENCH:-}" ]; then
  for bench in client partitioner assignment; do
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
