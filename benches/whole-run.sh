#!/usr/bin/env bash
# A whole `dgame run` (simulation, check and report) with the Python original's settings, at
# the three sizes the speed issue measured: messages per CPU second (user + system, the median
# of RUNS runs) and the ratio to the original's figures as that issue quotes them (the original
# is not on this machine to run beside it).
#
#   benches/whole-run.sh            # RUNS=5 by default
#   RUNS=9 benches/whole-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/dgame
runs=${RUNS:-5}

# nodes clients ticks original's messages per second
sizes=("5 3 1000000 68700" "25 20 100000 94900" "100 50 40000 49900")
TIMEFORMAT='%U %S'
printf '%-16s %12s %14s %16s %8s\n' "nodes/clients" messages "CPU s (median)" "messages/CPU s" "ratio"
for size in "${sizes[@]}"; do
    read -r nodes clients ticks original <<<"$size"
    args=(run --algorithm single-client-versioned-majority --nodes "$nodes" --clients "$clients" --max-pause 6
        --values random --gateway-timeout never --client-timeout never --ticks "$ticks" --json)
    times=()
    for _ in $(seq "$runs"); do
        # `dgame run` exits 1 when the history is not linearizable (it is not at 5 / 3).
        t=$( { time "$bin" "${args[@]}" >/tmp/whole-run.json 2>/dev/null || true; } 2>&1 )
        times+=("$(awk '{print $1 + $2}' <<<"$t")")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk -v n="$runs" 'NR == int((n + 1) / 2)')
    messages=$(grep -m1 '"messages":' /tmp/whole-run.json | tr -dc '0-9')
    awk -v n="$nodes/$clients" -v m="$messages" -v s="$median" -v o="$original" \
        'BEGIN { printf "%-16s %12d %14.2f %14.2f M %7.0fx\n", n, m, s, m / s / 1e6, m / s / o }'
done
