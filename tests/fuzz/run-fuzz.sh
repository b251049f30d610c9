#!/usr/bin/env bash
# run-fuzz.sh BINARY SEED_CORPUS_DIR WORKDIR
# Replays every seed (regression), then fuzzes for KYSO_FUZZ_SECONDS (default
# 20) on a copy of the seeds so the source tree is never written. A crash,
# leak, timeout or sanitizer report fails the test; the reproducer is left in
# WORKDIR/artifacts.
# The short run in the test suite uses a fixed seed (KYSO_FUZZ_SEED, default
# 20261204) so that a run on one machine explores the same inputs as on
# another: a failure is reproducible, and a test run never turns red on an
# input nobody has seen. Long campaigns with fresh seeds are `./dev fuzz`
# (KYSO_FUZZ_SEED=0 lets libFuzzer pick one); what they find goes into the
# seed corpus as a regression input.
set -euo pipefail
bin=$1
seeds=$2
work=$3
secs=${KYSO_FUZZ_SECONDS:-20}
seed=${KYSO_FUZZ_SEED:-20261204}
[[ -x $bin ]] || { echo "no fuzz binary $bin" >&2; exit 1; }
[[ -d $seeds ]] || { echo "no seed corpus $seeds" >&2; exit 1; }
n=$(find "$seeds" -type f | wc -l)
[[ $n -gt 0 ]] || { echo "seed corpus $seeds is empty" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -r "$seeds"/. "$work/corpus/"
echo "replaying $n seeds"
"$bin" -runs=0 -artifact_prefix="$work/artifacts/" "$work/corpus"
echo "fuzzing for ${secs}s (seed $seed)"
"$bin" -seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" 2>&1 | tail -n 20
echo "fuzzing ran clean: $(find "$work/corpus" -type f | wc -l) inputs in corpus"
