#!/bin/sh
# serve-cost.sh measures what one more idle dashboard costs `lbtop serve`:
# the server runs the demo fleet; its resident memory (VmRSS) and CPU time
# (utime+stime from /proc/PID/stat) are sampled over WINDOW seconds with
# no session, then again with N idle `ssh -t` dashboards (the OpenSSH
# client in tmux, each SIZE), and the difference is divided by N.
# Everything binds 127.0.0.1 and lives in a temporary directory.
# Each figure is the median of ROUNDS windows (default 3).
# Run from the repository root:  sh docs/serve-cost.sh [N] [WINDOW] [SIZE]
# e.g. sh docs/serve-cost.sh 10 20 120x40; LBTOP_BIN=path measures that
# binary instead of building ./cmd/lbtop (to compare two versions).
set -eu
n=${1:-10}
window=${2:-20}
size=${3:-120x40}
cols=${size%x*}
rows=${size#*x}
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
pid=""
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ -n "${LBTOP_BIN:-}" ]; then cp "$LBTOP_BIN" "$tmp/lbtop"; else go build -o "$tmp/lbtop" ./cmd/lbtop; fi
ssh-keygen -q -t ed25519 -N '' -C bench -f "$tmp/key"
cp "$tmp/key.pub" "$tmp/operators"
# HOME in the temp dir: the demo's audit log goes there, not to yours.
HOME=$tmp "$tmp/lbtop" serve --demo --listen 127.0.0.1:0 --operator-keys "$tmp/operators" \
	--host-key "$tmp/host_key" >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
until grep -qs 'listening on' "$tmp/out"; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then cat "$tmp/err"; exit 1; fi
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/out")
tick=$(getconf CLK_TCK)
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }                # kB
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }                     # ticks
# window1 prints "RSS_kB CPU_ms_per_s" of one window: RSS (the mean of
# one reading a second) and the CPU time spent in it per second.
window1() {
	c0=$(cpu); sum=0; k=0
	while [ $k -lt "$window" ]; do sleep 1; sum=$((sum + $(rss))); k=$((k + 1)); done
	c1=$(cpu)
	echo "$((sum / window)) $(echo "($c1 - $c0) * 1000 / $tick / $window" | bc -l)"
}
# sample prints the medians of ROUNDS windows (default 3): on a shared
# machine one window can catch a burst of someone else's work.
sample() {
	r=0
	: >"$tmp/rounds"
	while [ $r -lt "${ROUNDS:-3}" ]; do window1 >>"$tmp/rounds"; r=$((r + 1)); done
	m=$(( (${ROUNDS:-3} + 1) / 2 ))
	echo "$(cut -d' ' -f1 "$tmp/rounds" | sort -n | sed -n "${m}p") $(cut -d' ' -f2 "$tmp/rounds" | sort -g | sed -n "${m}p")"
}
sleep 5 # the demo's first polls
set -- $(sample)
rss0=$1 cpu0=$2
sshcmd="ssh -t -F none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
-o IdentitiesOnly=yes -o BatchMode=yes -o IdentityAgent=none -i $tmp/key -p $port 127.0.0.1"
k=0
while [ $k -lt "$n" ]; do
	tmux -S "$sock" new-session -d -s "s$k" -x "$cols" -y "$rows" "$sshcmd"
	k=$((k + 1))
done
sleep 12 # every dashboard drawn, and idle (no key for 10 s)
if ! tmux -S "$sock" capture-pane -p -t "s$((n - 1))" | grep -q POOL; then
	echo "session s$((n - 1)) shows no dashboard:"; tmux -S "$sock" capture-pane -p -t "s$((n - 1))"; exit 1
fi
set -- $(sample)
rss1=$1 cpu1=$2
printf 'lbtop serve --demo, medians of %s windows of %s s, sessions %s:\n' "${ROUNDS:-3}" "$window" "$size"
printf '  0 sessions: RSS %6.1f MB  CPU %6.2f ms/s\n' "$(echo "$rss0/1024" | bc -l)" "$cpu0"
printf '%3d sessions: RSS %6.1f MB  CPU %6.2f ms/s\n' "$n" "$(echo "$rss1/1024" | bc -l)" "$cpu1"
printf 'per session:  RSS %6.2f MB  CPU %6.2f ms/s\n' "$(echo "($rss1-$rss0)/1024/$n" | bc -l)" "$(echo "($cpu1-$cpu0)/$n" | bc -l)"
