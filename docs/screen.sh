#!/bin/sh
# screen.sh regenerates docs/screen.svg, the README's picture, from lbtop's
# own output: the demo dashboard at 100x30 in tmux, captured with its
# colours after a few polls, drawn by charmbracelet/freeze. Needs tmux and
# freeze (go install github.com/charmbracelet/freeze@v0.2.2). Run from the
# repository root: sh docs/screen.sh
set -eu
tmp=$(mktemp -d)
trap 'tmux kill-session -t lbtop-shot 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/lbtop" ./cmd/lbtop
# HOME in the temp dir: the demo's audit log goes there, not to yours.
tmux new-session -d -s lbtop-shot -x 100 -y 30 "HOME=$tmp $tmp/lbtop --demo --demo-seed 7"
sleep 8
tmux capture-pane -e -p -t lbtop-shot > "$tmp/raw.ansi"
tmux send-keys -t lbtop-shot q
# tmux writes an attribute only where it changes, also across lines;
# freeze starts each line afresh, so carry the attributes in force at the
# end of a line over to the start of the next.
awk '{
	line = carry $0
	s = line; carry = ""
	while (match(s, /\033\[[0-9;]*m/)) {
		seq = substr(s, RSTART, RLENGTH)
		if (seq ~ /^\033\[0?[;m]/ || seq == "\033[m") carry = ""
		carry = carry seq
		s = substr(s, RSTART + RLENGTH)
	}
	print line
}' "$tmp/raw.ansi" > "$tmp/screen.ansi"
freeze --execute "cat $tmp/screen.ansi" --window=false --padding 20 -o docs/screen.svg
