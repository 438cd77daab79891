#!/usr/bin/env bash
# Usage: scripts/synth-diff.sh <base-folder> <head-folder> [title] [max-bytes]
#
# Prints a Markdown report of what a change does to the offline synth (npm run synth): the list
# of changed files, then `diff -ru` with summary.md first (the reviewer's overview) and every
# other file after it but summary.json (one line of context); a file whose change repeats an
# earlier file's is one line naming it.
# Paths read base/... and head/.... The diff is cut at max-bytes (default
# 60000: a PR comment holds at most 65536 characters) with a note saying how much was left out.
# Exit code 0 whether or not the folders differ; 2 on bad usage.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 || ! -d "$1" || ! -d "$2" ]]; then
  echo "usage: $0 <base-folder> <head-folder> [title] [max-bytes]" >&2
  exit 2
fi
title="${3:-Offline synth diff}"
max_bytes="${4:-60000}"
if [[ ! "$max_bytes" =~ ^[0-9]+$ ]]; then
  echo "max-bytes must be a number: $max_bytes" >&2
  exit 2
fi

# Short, stable paths in the diff headers whatever the folders are called.
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
ln -s "$(cd "$1" && pwd)" "$work/base"
ln -s "$(cd "$2" && pwd)" "$work/head"

# diff exits 1 when the inputs differ; only 2 (trouble) is an error here.
run_diff() { (cd "$work" && diff "$@") || [[ $? -eq 1 ]]; }

# tidy_diff : diff -ru output for a reader: no `diff ...` command lines and no timestamps (the
# ---/+++ lines name each file), and a file whose hunks are exactly those of an earlier file (the
# same node.env change in every master's launch template, say) shown as one line naming it.
tidy_diff() {
  awk '
    function flush() {
      if (header == "") return
      if (body in first) printf "%s@@ same change as in %s @@\n", header, first[body]
      else { first[body] = name; printf "%s%s", header, body }
      header = ""; body = ""; inbody = 0
    }
    /^diff / { flush(); name = $NF; sub(/^head\//, "", name); next }
    !inbody && /^(---|\+\+\+) / { sub(/\t.*$/, ""); header = header $0 "\n"; if (/^\+\+\+ /) inbody = 1; next }
    !inbody { header = header $0 "\n"; next }
    { body = body $0 "\n" }
    END { flush() }
  '
}

run_diff -ruN base/summary.md head/summary.md | tidy_diff >"$work/summary.diff"
# One line of context is enough for JSON whose changed lines name their keys; summary.json is the
# machine-readable twin of summary.md (listed as changed, its diff left to the artifacts).
run_diff -rN -U1 -x summary.md -x summary.json base head | tidy_diff >"$work/rest.diff"
run_diff -rqN base head >"$work/files.txt"
cat "$work/summary.diff" "$work/rest.diff" >"$work/full.diff"

echo "### $title"
echo
if [[ ! -s "$work/full.diff" ]]; then
  echo "No change in the synth output."
  exit 0
fi
changed="$(wc -l <"$work/files.txt" | tr -d ' ')"
echo "$changed file(s) changed:"
echo
# shellcheck disable=SC2016 # the backquotes are Markdown, not a command substitution
sed -E 's/^Files base\/(.*) and head\/.* differ$/- `\1`/' "$work/files.txt"
echo
total="$(wc -c <"$work/full.diff" | tr -d ' ')"
echo '```diff'
head -c "$max_bytes" "$work/full.diff"
# A cut line must not swallow the closing fence.
[[ "$(tail -c 1 "$work/full.diff" | od -An -c | tr -d ' ')" == '\n' && "$total" -le "$max_bytes" ]] || echo
echo '```'
if [[ "$total" -gt "$max_bytes" ]]; then
  echo
  echo "_Diff truncated: showing the first $max_bytes of $total bytes. The full synth folders are in the run's artifacts._"
fi
