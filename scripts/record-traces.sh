#!/bin/sh
# Record the committed trace fixtures: valgrind's lackey on short runs of real
# programs, converted to the replay format (scripts/convert-trace.ts).
#   sh scripts/record-traces.sh [OUT_DIR]     (default test/fixtures/traces)
# Needs valgrind (Debian: apt-get install valgrind). The inputs are made here,
# the same on every machine; the programs are whatever this machine's
# coreutils, gzip and grep are, so a re-recording differs in detail, not in kind.
set -eu
cd "$(dirname "$0")/.."
out=${1:-test/fixtures/traces}
command -v valgrind >/dev/null || { echo "record-traces: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
seq 1 3000 | awk '{ print ($1 * 7919) % 10007 " line " $1 }' > "$work/lines.txt"
head -c 65536 "$work/lines.txt" > "$work/64k.txt"

record() {
  name=$1
  shift
  valgrind --tool=lackey --trace-mem=yes --log-file="$work/$name.lackey" "$@" > /dev/null
  npx tsx scripts/convert-trace.ts "$work/$name.lackey" "$out/$name.lgjt.gz" --max 2000000
  rm "$work/$name.lackey"
}

record md5sum md5sum "$work/64k.txt"
record sort sort "$work/lines.txt"
record gzip gzip -c "$work/64k.txt"
record grep grep -c "line 1" "$work/lines.txt"
