#!/usr/bin/env bash
# Does Windows auth pinning slow the requests that never sign in? Two copies of the published proxy in
# demo mode, identical except that one has WindowsAuth switched off for EWS, take turns under wrk:
# small keep-alive GETs of /EWS/ (no credentials, so the pooled fast path), on loopback only.
# Prints requests/s per round and the ratio with/without. Not run by CI.
#   DURATION=10s ROUNDS=3 CONNECTIONS=64 QUIET=0 bash tests/bench/windows-auth-fast-path.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
connections=${CONNECTIONS:-64}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
dotnet publish src/ExchangeProxy -c Release -o "$out/app" --nologo -v quiet

logging=()
# QUIET=1 takes the per-request log line out, so the comparison is of the proxying code alone.
[ "${QUIET:-0}" = 1 ] && logging=(--Serilog:MinimumLevel:Default=Warning)

start() { # port, extra switches
    ASPNETCORE_ENVIRONMENT=Production dotnet "$out/app/ExchangeProxy.dll" --demo --config "$out/none.json" \
        --Demo:Port="$1" "${logging[@]}" "${@:2}" >"$out/proxy-$1.log" 2>&1 &
    for _ in $(seq 100); do
        curl -sk -o /dev/null "https://127.0.0.1:$1/EWS/" && return
        sleep 0.2
    done
    echo "proxy on $1 did not start:" >&2; cat "$out/proxy-$1.log" >&2; exit 1
}

start 5601
start 5602 --ExchangeProxy:Services:ews:WindowsAuth=false

rate() { wrk -t1 -c"$connections" -d"$duration" "https://127.0.0.1:$1/EWS/" | awk '/Requests\/sec/ {print $2}'; }
rate 5601 >/dev/null; rate 5602 >/dev/null   # warm-up

with=0; without=0
printf '%-6s %16s %16s\n' round "with pinning" "without"
for r in $(seq "$rounds"); do
    a=$(rate 5601); b=$(rate 5602)
    printf '%-6s %16s %16s\n' "$r" "$a" "$b"
    with=$(echo "$with + $a" | bc -l); without=$(echo "$without + $b" | bc -l)
done
printf 'ratio with/without: %.3f\n' "$(echo "$with / $without" | bc -l)"
