#!/bin/sh
# Record the committed trace fixtures: valgrind's lackey on short runs of real
# programs, converted to the replay format as it streams (npm run trace).
#   sh scripts/record-traces.sh [OUT_DIR]     (default test/fixtures/traces)
# Needs valgrind (Debian: apt-get install valgrind). The inputs are made here,
# the same on every machine; the programs are whatever this machine's
# coreutils, gzip and grep are, so a re-recording differs in detail, not in kind.
# The fixtures keep the dynamic loader's start-up (--from start): each is the
# first two million accesses the process made.
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
  npx tsx scripts/trace.ts record "$out/$name.lgjt.gz" --from start --max 2000000 -- "$@"
}

record md5sum md5sum "$work/64k.txt"
record sort sort "$work/lines.txt"
record gzip gzip -c "$work/64k.txt"
record grep grep -c "line 1" "$work/lines.txt"
