#!/usr/bin/env bash
# Tests of the ./stratacache launcher, as a new user meets it. Run from anywhere after one build:
#   stratacache-cli/src/test/launcher/launcher-test.sh
# (not part of `mvn verify`: the launcher builds with Maven, which must not run inside a build).
# Prints one line per check and exits non-zero if any fails. It touches one source file's time
# stamp (to see the launcher notice), and leaves the launcher's stamp as it found it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
launcher="$root/stratacache"
stamp="$root/stratacache-cli/target/launcher.stamp"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

check() { # check NAME CONDITION-EXIT-STATUS DETAILS
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1: $3"; failures=$((failures + 1)); fi
}

# a current build: no rebuild, not even for help
"$launcher" --version >/dev/null 2>&1 # builds if needed
out="$(STRATACACHE_REBUILD=check "$launcher" 2>&1)"
[ "$out" = "stratacache: the build is current" ]; check "a second call finds the build current" $? "$out"
out="$("$launcher" --help 2>&1 >/dev/null)"
[ -z "$out" ]; check "help neither builds nor says anything on stderr" $? "$out"

# a changed main source is noticed (and a test source is not)
touch -d '+1 minute' "$root/stratacache-cli/src/test/java/io/stratacache/cli/MainTest.java"
out="$(STRATACACHE_REBUILD=check "$launcher" 2>&1)"
[ "$out" = "stratacache: the build is current" ]; check "a changed test source needs no rebuild" $? "$out"
saved="$(stat -c %Y "$stamp")"
touch -d '+1 minute' "$root/stratacache-cli/src/main/java/io/stratacache/cli/Sizes.java"
out="$(STRATACACHE_REBUILD=check "$launcher" 2>&1)"
[[ "$out" == *"stratacache-cli/src/main/java/io/stratacache/cli/Sizes.java is newer than the last build"* ]]
check "a changed main source is named as the reason to rebuild" $? "$out"
touch -d "@$saved" "$root/stratacache-cli/src/main/java/io/stratacache/cli/Sizes.java" \
  "$root/stratacache-cli/src/test/java/io/stratacache/cli/MainTest.java"
touch -d "@$((saved + 1))" "$stamp"

# paths are the caller's
mkdir -p "$work/conf"
printf 'tiers:\n  - {name: hot, provider: cpu, capacity: 16MiB}\n' >"$work/conf/plane.yaml"
out="$(cd "$work" && "$launcher" -c conf/plane.yaml config check 2>&1)"
[[ "$out" == "configuration: $work/conf/plane.yaml (valid)"* ]]; check "-c is relative to the caller's directory" $? "$out"
out="$(cd "$work" && STRATACACHE_CONFIG=conf/plane.yaml "$launcher" config check 2>&1)"
[[ "$out" == "configuration: $work/conf/plane.yaml (valid)"* ]]; check "STRATACACHE_CONFIG is relative to the caller's directory" $? "$out"
out="$(cd "$work" && STRATACACHE_CONFIG=conf/missing.yaml "$launcher" config check 2>&1)"; rc=$?
[ $rc -eq 3 ] && [[ "$out" == *"$work/conf/missing.yaml (named by STRATACACHE_CONFIG): cannot read the configuration file: no such file"* ]]
check "a missing file is exit status 3 naming the absolute path tried" $? "rc=$rc $out"

# JVM options and system properties
out="$(cd "$work" && JAVA_OPTS="-Xmx256m -Dstratacache.config=conf/plane.yaml" "$launcher" config check 2>&1)"
[[ "$out" == "configuration: $work/conf/plane.yaml (valid)"* ]]; check "JAVA_OPTS passes system properties" $? "$out"
out="$("$launcher" --help 2>&1)"
[[ "$out" == *STRATACACHE_CONFIG* && "$out" == *JAVA_OPTS* ]]; check "the usage mentions STRATACACHE_CONFIG and JAVA_OPTS" $? "$out"

# STRATACACHE_* variables
out="$(cd "$work" && STRATACACHE_HOME=/opt/stratacache "$launcher" -c conf/plane.yaml config check 2>&1)"; rc=$?
[ $rc -eq 0 ]; check "an unrelated STRATACACHE_HOME does not abort" $? "rc=$rc $out"
out="$(cd "$work" && STRATACACHE_CHUNKSIZE=16 "$launcher" -c conf/plane.yaml config check 2>&1)"; rc=$?
[ $rc -eq 3 ] && [[ "$out" == *"STRATACACHE_CHUNKSIZE names no setting; did you mean STRATACACHE_CHUNK_SIZE?"* ]] \
  && [ "$(printf '%s\n' "$out" | wc -c)" -lt 300 ]
check "a misspelt variable gets a short message naming the closest" $? "rc=$rc $out"

# usage errors
out="$("$launcher" frobnicate 2>&1)"; rc=$?
[ $rc -eq 2 ]; check "an unknown command is exit status 2" $? "rc=$rc $out"

echo "$failures failed"
[ "$failures" -eq 0 ]
