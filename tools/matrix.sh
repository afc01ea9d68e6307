#!/bin/sh
# The compatibility matrix: the whole suite (C++ tests and pytest) against the system's FFmpeg and
# against each release given (tools/ffmpeg.sh builds the ones not yet built), one after another:
#
#     tools/matrix.sh 4.3 7.1 8.1 9.0      # what `make matrix` runs
#
# Each run's output goes to build/matrix/<release>.log; build/matrix/summary.md gets a row per
# run (the Markdown table in the README), written as each run ends. Exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
out=build/matrix
mkdir -p "$out"
summary=$out/summary.md
printf '| FFmpeg | C++ tests | pytest | result |\n| --- | --- | --- | --- |\n' > "$summary"
status=0

# The last gtest and pytest summary lines of a log, shortened for the table.
row() {
    release=$1 log=$2 result=$3
    ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' "$log" | head -n 1)
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\./\1/p' "$log" | head -n 1)
    skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$log" | head -n 1)
    cpp=${passed:+$passed of $ran passed}${skipped:+, $skipped skipped}
    python=$(grep -E '^=*.*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
    printf '| %s | %s | %s | %s |\n' "$release" "${cpp:-?}" "${python:-?}" "$result" >> "$summary"
}

# run NAME LABEL MAKE-ARGUMENTS...
run() {
    name=$1 label=$2
    shift 2
    log=$out/$name.log
    echo "matrix: $label ($log)"
    if make "$@" > "$log" 2>&1; then result=pass; else result=FAIL; status=1; fi
    row "$label" "$log" "$result"
}

run system "$(ffmpeg -version | sed -n 's/^ffmpeg version \([0-9.]*\).*/\1/p') (the system's)" test
for release in "$@"; do
    version=$(basename "$(tools/ffmpeg.sh "$release" 2>> "$out/$release.build.log")") || version=$release
    run "$release" "$version" test FFMPEG="$release"
done
cat "$summary"
exit $status
