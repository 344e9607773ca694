#!/usr/bin/env bash
# Reliability side by side with HAProxy 2.6, on one machine, on loopback only. Not run by CI.
#
# The kill test: wrk keeps 32 connections busy for DURATION (default 20 s) through a proxy to two nginx
# backends (127.0.0.21 and .22, one process each, standing in for two CAS servers); at 5 s one backend is
# killed (SIGKILL), at 12 s it is started again. Printed per proxy: the requests that failed (non-2xx and
# socket errors, as wrk counts them) and the seconds from the restart until the backend took a request
# again. Proxies: HAProxy `mode http` with the seed's `retries 3` and `option redispatch`, the same with
# `stick on src`, HAProxy `mode tcp`; ExchangeProxy published in Release as shipped, at layer 7 (an
# Exchange service, without and with client-IP affinity) and at layer 4. Probes every 2 s, rise 2, fall 3
# everywhere, as the seed's `check`.
#
# Then, under the same load: 10 configuration changes (ExchangeProxy: good edits, invalid JSON, a half-written
# file, invalid values; HAProxy: 10 reloads of its master process, its way of taking a new configuration),
# and a drain of one backend (ExchangeProxy's admin API; HAProxy's runtime API) and back to ready.
#
# Last, each proxy started again under `prlimit --nofile=1024`: a flood of 3,000 connections (alive after
# it, and serving?), then, with the open-file limit raised, RSS idle, while holding 10,000 idle keep-alive
# connections, and 30 s after they closed.
#
#   bash tests/reliability/run.sh            DURATION=30 bash tests/reliability/run.sh
#   ONLY="flood memory" bash tests/reliability/run.sh     (any of: kill edits drain flood memory)
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
duration=${DURATION:-20}
only=" ${ONLY:-kill edits drain flood memory} "
want() { [[ $only == *" $1 "* ]]; }

need=()
for tool in haproxy nginx wrk curl socat bc python3; do command -v $tool >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    packages=("${need[@]/nginx/nginx-light}")
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]/python3/python3-minimal}"
fi

work=$(mktemp -d /tmp/exproxy-reliability-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for path in owa sticky; do mkdir -p "$work/www/$path"; printf '200 OK' > "$work/www/$path/small"; done
declare -A backend_pid
start_backend() {
    local ip=$1
    cat > "$work/backend-$ip.conf" <<CONF
daemon off; master_process off; pid $work/backend-$ip.pid; error_log $work/backend-$ip.err;
events { worker_connections 4096; }
http { log_format t '\$msec'; access_log $work/access-$ip.log t; keepalive_requests 10000000;
       server { listen $ip:18080; root $work/www; } }
CONF
    nginx -c "$work/backend-$ip.conf" & backend_pid[$ip]=$!; pids+=($!)
    for _ in $(seq 1 50); do curl -sf "http://$ip:18080/owa/small" >/dev/null && return; sleep 0.1; done
    echo "backend $ip did not start" >&2; exit 1
}
start_backend 127.0.0.21
start_backend 127.0.0.22

cat > "$work/haproxy.cfg" <<CONF
global
    stats socket $work/haproxy.sock mode 600 level admin
defaults
    option redispatch
    retries 3
    timeout connect 10s
    timeout client 5m
    timeout server 1m
    timeout http-request 10s
    timeout http-keep-alive 10s
listen http
    bind 127.0.0.1:18481
    mode http
    balance roundrobin
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
listen http-sticky
    bind 127.0.0.1:18482
    mode http
    balance roundrobin
    stick-table type ip size 20k expire 15m
    stick on src
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
listen tcp
    bind 127.0.0.1:18443
    mode tcp
    balance roundrobin
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
CONF
haproxy -W -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!); haproxy_master=$!

dotnet publish src/ExchangeProxy -c Release -o "$work/app" --nologo -v quiet
others=$(for s in ecp ews activesync rpc mapi oab autodiscover powershell; do printf '"%s": { "Enabled": false }, ' $s; done)
mkdir "$work/config"
cat > "$work/config/appsettings.json" <<CONF
{ "ExchangeProxy": {
    "Servers": [ { "Name": "exchange1", "Address": "http://127.0.0.21:18080" }, { "Name": "exchange2", "Address": "http://127.0.0.22:18080" } ],
    "Services": { ${others}
      "owa": { "Check": { "Path": "/owa/small" } },
      "sticky": { "Path": "/sticky", "Affinity": { "Mode": "ClientIp" }, "Check": { "Path": "/sticky/small" } } },
    "Listeners": { "tcp": { "Listen": "127.0.0.1:18444", "Port": 18080, "Check": { "Type": "Tcp" } } },
    "Admin": { "Url": "http://127.0.0.1:18499" } },
  "Kestrel": { "Endpoints": { "Http": { "Url": "http://127.0.0.1:18483" } } } }
CONF
ASPNETCORE_ENVIRONMENT=Production dotnet "$work/app/ExchangeProxy.dll" --config "$work/config/appsettings.json" >"$work/exproxy.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18483/owa/small >/dev/null && break; sleep 0.2; done

# Both backends up and seen up by every proxy: each has answered a request through each proxy recently.
wait_both_up() {
    local url=$1
    for _ in $(seq 1 100); do
        local before21 before22
        before21=$(wc -l < "$work/access-127.0.0.21.log"); before22=$(wc -l < "$work/access-127.0.0.22.log")
        for _ in 1 2 3 4; do curl -s -o /dev/null "$url" || true; done
        if [ "$(wc -l < "$work/access-127.0.0.21.log")" -gt "$before21" ] && [ "$(wc -l < "$work/access-127.0.0.22.log")" -gt "$before22" ]; then
            return
        fi
        sleep 0.3
    done
    echo "$url never reached both backends" >&2; exit 1
}

kill_test() {
    local name=$1 url=$2
    wait_both_up "$url"
    wrk -t2 -c32 -d"${duration}s" --latency "$url" > "$work/wrk-$name.txt" 2>&1 &
    local wrk_pid=$!
    sleep 5
    kill -9 "${backend_pid[127.0.0.22]}"; wait "${backend_pid[127.0.0.22]}" 2>/dev/null || true
    sleep 7
    : > "$work/access-127.0.0.22.log"
    local restarted; restarted=$(date +%s.%N)
    start_backend 127.0.0.22
    : > "$work/access-127.0.0.22.log"
    wait $wrk_pid
    local total failed first back
    total=$(awk '/requests in/ {print $1}' "$work/wrk-$name.txt")
    failed=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",", ""); n+=$4+$6+$8+$10} END {print n+0}' "$work/wrk-$name.txt")
    first=$(head -1 "$work/access-127.0.0.22.log")
    back=$([ -n "$first" ] && echo "$first - $restarted" | bc || echo "never")
    printf '%-22s %10s %8s %12s\n' "$name" "$total" "$failed" "$back"
}

if want kill; then
echo "Kill test: ${duration} s of wrk -c32, one of two backends killed at 5 s and started again at 12 s ($(nproc) cores, $(uname -r))"
printf '%-22s %10s %8s %12s\n' peer requests failed "back after s"
kill_test haproxy-http        http://127.0.0.1:18481/owa/small
kill_test exproxy-l7          http://127.0.0.1:18483/owa/small
kill_test haproxy-http-sticky http://127.0.0.1:18482/sticky/small
kill_test exproxy-l7-sticky   http://127.0.0.1:18483/sticky/small
kill_test haproxy-tcp         http://127.0.0.1:18443/owa/small
kill_test exproxy-l4          http://127.0.0.1:18444/owa/small
fi

failed_of() {
    awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",", ""); n+=$4+$6+$8+$10} END {print n+0}' "$1"
}

# Ten changes, one every 1.5 s, while wrk runs.
edit_test() {
    local name=$1 url=$2 change=$3
    wait_both_up "$url"
    wrk -t2 -c32 -d"${duration}s" "$url" > "$work/wrk-$name.txt" 2>&1 &
    local wrk_pid=$!
    sleep 2
    for i in $(seq 1 10); do "$change" "$i"; sleep 1.5; done
    wait $wrk_pid
    printf '%-22s %10s %8s\n' "$name" "$(awk '/requests in/ {print $1}' "$work/wrk-$name.txt")" "$(failed_of "$work/wrk-$name.txt")"
}

good=$(cat "$work/config/appsettings.json")
edited=${good/'"owa": { "Check"'/'"owa": { "ActivityTimeout": "00:02:00", "Check"'}
exproxy_edit() {
    local file="$work/config/appsettings.json"
    case $(( $1 % 4 )) in
        0) printf '%s' "$([ $(( $1 % 8 )) -eq 0 ] && echo "$good" || echo "$edited")" > "$file.tmp" && mv "$file.tmp" "$file" ;;  # good, saved as editors do
        1) printf '%s' "${good/'"Servers": ['/'"Servers": [,'}" > "$file" ;;                                                   # not JSON
        2) printf '%s' "${good:0:300}" > "$file" ;;                                                                            # half-written
        3) printf '%s' "${good/'"Check": { "Path": "/owa/small" }'/'"Check": { "Rise": 0 }'}" > "$file" ;;                     # invalid value
    esac
}
haproxy_reload() { kill -USR2 "$haproxy_master"; }

drain_test() {
    local name=$1 url=$2 drain=$3 ready=$4
    wait_both_up "$url"
    wrk -t2 -c32 -d"${duration}s" "$url" > "$work/wrk-$name.txt" 2>&1 &
    local wrk_pid=$!
    sleep 5; eval "$drain" >/dev/null; sleep 7; eval "$ready" >/dev/null
    wait $wrk_pid
    printf '%-22s %10s %8s\n' "$name" "$(awk '/requests in/ {print $1}' "$work/wrk-$name.txt")" "$(failed_of "$work/wrk-$name.txt")"
}

if want edits; then
echo
echo "Configuration changes under load: ${duration} s of wrk -c32, 10 changes 1.5 s apart"
printf '%-22s %10s %8s\n' peer requests failed
edit_test haproxy-reloads http://127.0.0.1:18481/owa/small haproxy_reload
edit_test exproxy-edits   http://127.0.0.1:18483/owa/small exproxy_edit
printf '%s' "$good" > "$work/config/appsettings.json"
grep -c "Configuration change rejected" "$work/exproxy.log" | xargs printf '(ExchangeProxy logged %s rejections; the listeners and routes stayed)\n'
fi

if want drain; then
echo
echo "Drain under load: ${duration} s of wrk -c32, exchange2 drained at 5 s, ready at 12 s"
printf '%-22s %10s %8s\n' peer requests failed
drain_test haproxy-drain http://127.0.0.1:18481/owa/small \
    "echo 'set server http/exchange2 state drain' | socat stdio $work/haproxy.sock" \
    "echo 'set server http/exchange2 state ready' | socat stdio $work/haproxy.sock"
drain_test exproxy-drain http://127.0.0.1:18483/owa/small \
    "curl -sf -H X-ExchangeProxy-Admin:1 -X POST http://127.0.0.1:18499/api/servers/exchange2/drain" \
    "curl -sf -H X-ExchangeProxy-Admin:1 -X POST http://127.0.0.1:18499/api/servers/exchange2/ready"
fi

# Opens COUNT connections to PORT (with "request", each makes one request first: idle keep-alive connections)
# and holds them HOLD seconds; prints how many the proxy left open at the end.
hold() {
    python3 - "$@" <<'PY'
import socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
request = len(sys.argv) > 4 and sys.argv[4] == "request"
held = []
deadline = time.monotonic() + 30   # bounded: a proxy that stopped accepting leaves connects hanging
for _ in range(count):
    if time.monotonic() > deadline:
        break
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect(("127.0.0.1", port))
        if request:
            s.sendall(b"GET /owa/small HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n")
        held.append(s)
    except OSError:
        s.close()
time.sleep(hold)
open_now = 0
for s in held:
    s.setblocking(False)
    try:
        open_now += 0 if s.recv(65536) == b"" else 1
    except BlockingIOError:
        open_now += 1
    except OSError:
        pass
    s.close()
print(open_now)
PY
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

mkdir "$work/flood"
sed -e 's/18483/18583/' -e 's/18499/18599/' -e 's/"127.0.0.1:18444"/"127.0.0.1:18544"/' "$work/config/appsettings.json" > "$work/flood/appsettings.json"
printf 'defaults\n    timeout connect 10s\n    timeout client 5m\n    timeout server 1m\nlisten http\n    bind 127.0.0.1:18581\n    mode http\n    server exchange1 127.0.0.21:18080 check\n    server exchange2 127.0.0.22:18080 check\n' > "$work/flood.cfg"

flood_test() {
    local name=$1 port=$2; shift 2
    prlimit --nofile=1024:1024 "$@" >"$work/flood-$name.log" 2>&1 & local pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/owa/small" >/dev/null && break; sleep 0.2; done
    hold "$port" 3000 5 >/dev/null
    local alive=no serving=no
    kill -0 "$pid" 2>/dev/null && alive=yes
    curl -sf --max-time 5 "http://127.0.0.1:$port/owa/small" >/dev/null && serving=yes
    printf '%-22s %8s %8s\n' "$name" "$alive" "$serving"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

idle_test() {
    local name=$1 port=$2; shift 2
    "$@" >"$work/idle-$name.log" 2>&1 & local pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/owa/small" >/dev/null && break; sleep 0.2; done
    for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$port/owa/small"; done
    local idle; idle=$(rss_mb "$pid")
    hold "$port" 10000 20 request > "$work/held-$name.txt" & local holder=$!
    sleep 15; local holding; holding=$(rss_mb "$pid")
    wait $holder; sleep 30
    printf '%-22s %8s %10s %10s %8s\n' "$name" "$idle" "$holding" "$(rss_mb "$pid")" "$(cat "$work/held-$name.txt")"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

if want flood; then
echo
echo "Flood: 3,000 connections held 5 s against a proxy started with an open-file limit of 1,024"
printf '%-22s %8s %8s\n' peer alive serving
flood_test haproxy 18581 haproxy -f "$work/flood.cfg" -db
flood_test exchangeproxy 18583 env ASPNETCORE_ENVIRONMENT=Production dotnet "$work/app/ExchangeProxy.dll" --config "$work/flood/appsettings.json"
grep -ho "Connection limit reached ([0-9]*" "$work/flood-exchangeproxy.log" | head -1 | sed 's/.*(/(ExchangeProxy'"'"'s limit: /; s/$/ connections)/'
fi

if want memory; then
echo
echo "Memory: RSS in MB idle, while holding 10,000 idle connections, 30 s after they closed"
printf '%-22s %8s %10s %10s %8s\n' peer idle holding after held
idle_test haproxy 18581 haproxy -f "$work/flood.cfg" -db
idle_test exchangeproxy 18583 env ASPNETCORE_ENVIRONMENT=Production dotnet "$work/app/ExchangeProxy.dll" --config "$work/flood/appsettings.json"
fi
