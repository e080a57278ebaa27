# Helpers the bench scripts share; each script sources this file.

# Builds the binary the benchmarks run (the release build with line tables,
# so a profiler can be pointed at it) and sets $bin; $IIOT overrides it.
build_iiot() {
  if [ -n "${IIOT:-}" ]; then
    bin=$IIOT
  else
    cargo build --profile profiling --quiet
    bin=$PWD/target/profiling/iiot
  fi
}

# The median of numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Wall seconds of the shell command $1, median of $RUNS runs; $2, when
# given, runs before each timed run and is not timed (clearing an output).
median_seconds() {
  local times=()
  for _ in $(seq "$RUNS"); do
    [ -n "${2:-}" ] && sh -c "$2"
    local start end
    start=$(date +%s.%N)
    sh -c "$1"
    end=$(date +%s.%N)
    times+=("$(awk "BEGIN {print $end - $start}")")
  done
  printf '%s\n' "${times[@]}" | median
}

# printf-style arithmetic: calc FORMAT EXPRESSION.
calc() { awk "BEGIN {printf \"$1\", $2}"; }

# Peak resident memory in KB of a command, or ? without GNU time.
peak_kb() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
  else
    echo "?"
  fi
}

# Peak of the shell command $1 (the largest of the processes it ran), median
# of $RUNS runs.
median_peak_kb() {
  for _ in $(seq "$RUNS"); do peak_kb sh -c "$1"; done | median
}
