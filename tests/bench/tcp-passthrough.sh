#!/usr/bin/env bash
# Layer-4 passthrough, ExchangeProxy against HAProxy 2.6 `mode tcp` with the seed's settings, same backends,
# same run, on loopback only. Two nginx backends (one worker each) on 127.0.0.21 and .22 serve a small
# response (like healthcheck.htm) and a 1 MB body; wrk measures small keep-alive round trips and 1 MB
# transfers directly against one backend, through HAProxy and through ExchangeProxy, rounds alternating.
# Not run by CI.   DURATION=10s ROUNDS=3 bash tests/bench/tcp-passthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
need=()
for tool in haproxy nginx wrk bc curl; do command -v $tool >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]/nginx/nginx-light}"
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/www"
# nginx's workers run as nobody: the content must be readable to them.
chmod 755 "$work"
printf '200 OK<br/>EXCHANGE1.CONTOSO.TEST' > "$work/www/small"
head -c 1048576 /dev/urandom > "$work/www/1mb"
for ip in 127.0.0.21 127.0.0.22; do
    cat > "$work/nginx-$ip.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx-$ip.pid; error_log $work/nginx-$ip.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000; sendfile on;
       server { listen $ip:18080; root $work/www; } }
CONF
    nginx -c "$work/nginx-$ip.conf" & pids+=($!)
done

cat > "$work/haproxy.cfg" <<CONF
global
    maxconn 8000
defaults
    option redispatch
    option dontlognull
    retries 3
    timeout connect 1m
    timeout client 5m
    timeout server 1m
listen e2k13
    bind 127.0.0.1:18443
    mode tcp
    balance roundrobin
    stick-table type ip size 20k expire 15m
    stick on src
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
CONF
haproxy -f "$work/haproxy.cfg" -db & pids+=($!)
haproxy_pid=$!

dotnet publish src/ExchangeProxy -c Release -o "$work/app" --nologo -v quiet
cat > "$work/appsettings.json" <<CONF
{ "ExchangeProxy": {
    "Servers": [ { "Name": "exchange1", "Address": "127.0.0.21:18080" }, { "Name": "exchange2", "Address": "127.0.0.22:18080" } ],
    "Services": { $(for s in owa ecp ews activesync rpc mapi oab autodiscover powershell; do printf '"%s": { "Enabled": false }, ' $s; done | sed 's/, $//') },
    "Listeners": { "e2k13": { "Listen": "127.0.0.1:18444", "Port": 18080, "Affinity": { "Mode": "ClientIp" }, "Check": { "Type": "Tcp" } } },
    "Admin": { "Url": "" } } }
CONF
ASPNETCORE_ENVIRONMENT=Production dotnet "$work/app/ExchangeProxy.dll" --config "$work/appsettings.json" >"$work/exproxy.log" 2>&1 & pids+=($!)
exproxy_pid=$!

for port in 18443 18444; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/small" && break; sleep 0.2; done
done
for address in 127.0.0.21:18080 127.0.0.1:18443 127.0.0.1:18444; do
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://$address/1mb")
    [ "$got" = "200 1048576" ] || { echo "http://$address/1mb answered '$got', not '200 1048576'" >&2; exit 1; }
done

declare -A target=([direct]=127.0.0.21:18080 [haproxy]=127.0.0.1:18443 [exchangeproxy]=127.0.0.1:18444)
order=(direct haproxy exchangeproxy)
small() { wrk -t2 -c64 -d"$duration" "http://${target[$1]}/small" | awk '/Requests\/sec/ {print $2}'; }
big() { wrk -t2 -c16 -d"$duration" "http://${target[$1]}/1mb" | awk '/Transfer\/sec/ { v=$2; if (v ~ /GB/) v*=1024; else if (v ~ /KB/) v/=1024; print v+0 }'; }
for t in "${order[@]}"; do small "$t" >/dev/null; big "$t" >/dev/null; done   # warm-up

declare -A rps mbs
for r in $(seq "$rounds"); do
    for t in "${order[@]}"; do
        rps[$t]=$(echo "${rps[$t]:-0} + $(small "$t")" | bc -l)
        mbs[$t]=$(echo "${mbs[$t]:-0} + $(big "$t")" | bc -l)
    done
done

rss() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }
printf '%-14s %14s %10s %12s %10s %10s\n' target "small req/s" ratio "1 MB MB/s" ratio "peak RSS"
for t in "${order[@]}"; do
    s=$(echo "${rps[$t]} / $rounds" | bc -l); m=$(echo "${mbs[$t]} / $rounds" | bc -l)
    hs=$(echo "${rps[haproxy]} / $rounds" | bc -l); hm=$(echo "${mbs[haproxy]} / $rounds" | bc -l)
    mem=-; [ "$t" = haproxy ] && mem="$(rss "$haproxy_pid") MB"; [ "$t" = exchangeproxy ] && mem="$(rss "$exproxy_pid") MB"
    printf '%-14s %14.0f %9.2fx %12.1f %9.2fx %10s\n' "$t" "$s" "$(echo "$s / $hs" | bc -l)" "$m" "$(echo "$m / $hm" | bc -l)" "$mem"
done
