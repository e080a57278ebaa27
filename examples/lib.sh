# Sourced by each example after `set -euo pipefail`: `parse_args NAME "$@"`
# sets IIOT (the binary: $IIOT, else `iiot` on PATH), OUT (--out DIR,
# default ./out/NAME) and QUICK (1 with --quick); --help prints the
# script's header comment.
IIOT=${IIOT:-iiot}
parse_args() {
  OUT=./out/$1 QUICK=0
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) QUICK=1 ;;
      --out) OUT=${2:?--out needs a folder}; shift ;;
      --out=*) OUT=${1#--out=} ;;
      -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) echo "$0: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
  done
}
