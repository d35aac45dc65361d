#!/usr/bin/env bash
# Builds and runs, on a machine with an NVIDIA GPU, exactly the GPU tier's checks: the conformance
# kit against the cuda layer, the GPU -> CPU chain round trip with demotion, the probe and
# configuration tests, and CudaTierBenchmark (tier store / loadInto against a plain pinned
# cudaMemcpy, 1-64 MiB). Everything goes to the output file (default gpu-check.out in the project
# root); the summary at its end gives each ratio and the link's bandwidth.
#
# Needs a JDK 25 and the Maven repository the build uses (run it once with network, or pass -o
# through MVN_OPTS="-o" where ~/.m2 already holds the dependencies). Exits non-zero if a test
# fails, if the GPU tests were skipped (no usable GPU), or if the benchmark does not run.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-check.out}"
: > "$out"
log() { echo "$@" | tee -a "$out"; }

log "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,pcie.link.gen.current,pcie.link.width.current --format=csv; } >> "$out" 2>&1 \
  || log "nvidia-smi: not available"

start=$(date +%s)
log "== build and GPU tier tests"
# shellcheck disable=SC2086
./mvnw -B ${MVN_OPTS:-} -pl tests,benchmarks -am verify -Dtest='Cuda*Test,GpuTierTest' \
  -Dsurefire.failIfNoSpecifiedTests=false >> "$out" 2>&1
rc=$?
log "build and tests: exit $rc after $(( $(date +%s) - start )) s"
[ $rc -eq 0 ] || { log "FAILED: see the build output above"; exit 1; }

# The GPU tests skip themselves without a GPU: make sure they ran. The kit prints one line per
# provider it ran ("conformance cuda (CudaLayerConformanceTest): ran put, get, ...").
chain=tests/target/surefire-reports/TEST-io.stratacache.gpu.GpuTierTest.xml
kit=$(grep -m1 '^conformance cuda (CudaLayerConformanceTest): ran ' "$out")
if [ -z "$kit" ] || [ ! -f "$chain" ] \
    || grep -A1 'name="kvChunksRoundTripThroughAGpuToCpuChainWithDemotionByteIdentical"' "$chain" | grep -q '<skipped'; then
  log "FAILED: the GPU tests were skipped (no usable GPU here):"
  grep -h -o 'Assumption failed: .*' "$chain" 2>/dev/null | sort -u | tee -a "$out"
  exit 1
fi
log "$kit"
log "GPU -> CPU chain round trip with demotion: passed"

log "== CudaTierBenchmark"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for j in /usr/lib/jvm/*25*/bin/java; do [ -x "$j" ] && java_bin="$j"; done
csv=$(mktemp)
"$java_bin" --enable-native-access=ALL-UNNAMED -jar benchmarks/target/benchmarks.jar CudaTierBenchmark \
  -f 1 -wi 3 -i 5 -w 1 -r 1 -rf csv -rff "$csv" >> "$out" 2>&1
rc=$?
[ $rc -eq 0 ] || { log "FAILED: the benchmark exited $rc"; exit 1; }

log "== summary (throughput as ops/s; GB/s = 10^9 bytes per second; ratio = tier / pinned cudaMemcpy, target >= 0.85)"
awk -F, 'NR > 1 {
    gsub(/"/, ""); split($1, parts, "."); name = parts[length(parts)]
    score[name, $8] = $5
  }
  END {
    printf "%6s %14s %14s %8s %14s %14s %8s\n", "MiB", "H2D pinned", "H2D tier", "ratio", "D2H pinned", "D2H tier", "ratio"
    n = split("1 4 16 64", order, " ")
    for (i = 1; i <= n; i++) {
      m = order[i]; bytes = m * 1048576
      printf "%6d %9.2f GB/s %9.2f GB/s %8.2f %9.2f GB/s %9.2f GB/s %8.2f\n", m,
        score["pinnedHostToDevice", m] * bytes / 1e9, score["tierStore", m] * bytes / 1e9,
        score["tierStore", m] / score["pinnedHostToDevice", m],
        score["pinnedDeviceToHost", m] * bytes / 1e9, score["tierLoadInto", m] * bytes / 1e9,
        score["tierLoadInto", m] / score["pinnedDeviceToHost", m]
    }
  }' "$csv" | tee -a "$out"
rm -f "$csv"
log "== done in $(( $(date +%s) - start )) s; output in $out"
