#!/usr/bin/env bash
# ExchangeProxy beside HAProxy 2.6 and nginx, on one machine, in one run, on loopback only. Not run by CI.
#   DURATION=10s ROUNDS=3 bash tests/bench/run.sh        # results also in tests/bench/results.{csv,json}
#   TESTS="small upload" IDLE=0 ...                        # some tests only; no idle-connection test
# Two nginx backends (one worker each, 127.0.0.21 and .22) serve /owa/small (like healthcheck.htm) and
# /owa/1mb. In front of them, each with round robin over both and client-IP affinity:
#   haproxy-http  HAProxy `mode http`, the seed's settings     exproxy-l7  ExchangeProxy, an Exchange service
#   haproxy-tcp   HAProxy `mode tcp`, the seed's settings      exproxy-l4  ExchangeProxy, a layer-4 listener
#   nginx         nginx proxy, upstream keepalive, ip_hash
# and "direct" is one backend without a proxy: the physical limit. wrk measures small keep-alive requests
# (64 connections), 1 MB transfers (16 connections) and a new connection per request, in plain HTTP: TLS
# costs the same wherever it ends. curl uploads 1 GB (the RPC_IN_DATA direction), once with Content-Length and
# once chunked, to a backend that reads and discards it. h2load measures HTTP/2 (16 connections, 10 streams each) where the peer
# speaks it, over TLS with ALPN as clients reach it (the layer-7 peers; HTTP/1.1 to the backends). Rounds
# alternate the targets after a warm-up. After the load, each proxy holds IDLE (10,000, fewer if the open-file
# limit is lower) keep-alive connections that each made one request: the growth of its RSS, per 10,000, and its
# RSS 30 s after they closed against the RSS before. Beside rates and latencies, each proxy's CPU time per
# request (uploads: per GB). Figures are medians of the rounds, with the lowest and highest rate beside. EXPROXY_ENV="NAME=value ..." gives
# ExchangeProxy more environment, to measure a runtime setting: DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
out=$(pwd)/tests/bench
need=()
for tool in haproxy nginx wrk h2load bc curl openssl python3; do command -v $tool >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    packages=("${need[@]/nginx/nginx-light}"); packages=("${packages[@]/h2load/nghttp2-client}")
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]/python3/python3-minimal}"
fi
# Ten thousand idle connections through a layer-4 proxy are twenty thousand sockets in it.
ulimit -n "$(ulimit -Hn)"
files=$(ulimit -n)
idle=${IDLE:-$(( files / 2 - 500 < 10000 ? files / 2 - 500 : 10000 ))}

work=$(mktemp -d)
chmod 755 "$work"   # nginx's workers run as nobody
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/www/owa"
printf '200 OK<br/>EXCHANGE1.CONTOSO.TEST' > "$work/www/owa/small"
head -c 1048576 /dev/urandom > "$work/www/owa/1mb"
head -c 1073741824 /dev/zero > "$work/1gb"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=localhost -days 2 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"
for ip in 127.0.0.21 127.0.0.22; do
    cat > "$work/backend-$ip.conf" <<CONF
daemon off; worker_processes 1; pid $work/backend-$ip.pid; error_log $work/backend-$ip.err; worker_rlimit_nofile $files;
events { worker_connections $files; }
http { access_log off; keepalive_requests 10000000; sendfile on; client_max_body_size 0;
       server { listen $ip:18080; root $work/www; location = /owa/upload { return 200 "read"; } } }
CONF
    nginx -c "$work/backend-$ip.conf" & pids+=($!)
done

cat > "$work/nginx-proxy.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx-proxy.pid; error_log $work/nginx-proxy.err; worker_rlimit_nofile $files;
events { worker_connections $files; }
http {
    access_log off; keepalive_requests 10000000;   # as the backends: HTTP/2 connections too would end at 1,000
    client_max_body_size 0; proxy_request_buffering off;   # uploads stream through, as for Exchange's RPC_IN_DATA
    upstream exchange { ip_hash; server 127.0.0.21:18080; server 127.0.0.22:18080; keepalive 64; }
    server { listen 127.0.0.1:18482; listen 127.0.0.1:18492 ssl http2;
             ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
             location / { proxy_pass http://exchange; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
nginx -c "$work/nginx-proxy.conf" & pids+=($!); nginx_pid=$!

cat > "$work/haproxy.cfg" <<CONF
global
    maxconn $(( files / 2 - 50 ))   # the seed sets none; the idle test needs thousands, and HAProxy two sockets each
defaults
    option redispatch
    option dontlognull
    retries 3
    timeout connect 1m
    timeout client 5m
    timeout server 1m
    timeout http-request 10s
    timeout http-keep-alive 10s
listen http
    bind 127.0.0.1:18481
    bind 127.0.0.1:18491 ssl crt $work/haproxy.pem alpn h2,http/1.1
    mode http
    balance roundrobin
    stick-table type ip size 20k expire 15m
    stick on src
    http-reuse safe
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
listen tcp
    bind 127.0.0.1:18443
    mode tcp
    balance roundrobin
    stick-table type ip size 20k expire 15m
    stick on src
    server exchange1 127.0.0.21:18080 check
    server exchange2 127.0.0.22:18080 check
CONF
haproxy -f "$work/haproxy.cfg" -db & pids+=($!); haproxy_pid=$!

dotnet publish src/ExchangeProxy -c Release -o "$work/app" --nologo -v quiet
others=$(for s in ecp ews activesync rpc mapi oab autodiscover powershell; do printf '"%s": { "Enabled": false }, ' $s; done)
# The configuration in a folder of its own: the proxy watches that folder for edits, and its log is written beside.
mkdir "$work/config"
cat > "$work/config/appsettings.json" <<CONF
{ "ExchangeProxy": {
    "Servers": [ { "Name": "exchange1", "Address": "http://127.0.0.21:18080" }, { "Name": "exchange2", "Address": "http://127.0.0.22:18080" } ],
    "Services": { ${others} "owa": { "Affinity": { "Mode": "ClientIp" }, "Check": { "Path": "/owa/small" }, "MaxRequestBodySize": 2147483648 } },
    "Listeners": { "tcp": { "Listen": "127.0.0.1:18444", "Port": 18080, "Affinity": { "Mode": "ClientIp" }, "Check": { "Type": "Tcp" },
                           "MaxConnections": 30000 } },
    "Admin": { "Url": "" } },
  "Kestrel": { "Endpoints": { "Http": { "Url": "http://127.0.0.1:18483" },
                             "Https": { "Url": "https://127.0.0.1:18493", "Certificate": { "Path": "$work/cert.pem", "KeyPath": "$work/key.pem" } } } } }
CONF
# EXPROXY_ENV="NAME=value ..." runs ExchangeProxy with more environment, to measure a setting's effect.
# shellcheck disable=SC2086
env ASPNETCORE_ENVIRONMENT=Production ${EXPROXY_ENV:-} dotnet "$work/app/ExchangeProxy.dll" --config "$work/config/appsettings.json" >"$work/exproxy.log" 2>&1 & pids+=($!)
exproxy_pid=$!

declare -A target=([direct]=127.0.0.21:18080 [haproxy-http]=127.0.0.1:18481 [haproxy-tcp]=127.0.0.1:18443
                   [nginx]=127.0.0.1:18482 [exproxy-l7]=127.0.0.1:18483 [exproxy-l4]=127.0.0.1:18444)
declare -A tls=([haproxy-http]=127.0.0.1:18491 [nginx]=127.0.0.1:18492 [exproxy-l7]=127.0.0.1:18493)
nginx_pid=$(pgrep -P "$nginx_pid")   # the worker, which holds the connections
declare -A process=([haproxy-http]=$haproxy_pid [haproxy-tcp]=$haproxy_pid [nginx]=$nginx_pid [exproxy-l7]=$exproxy_pid [exproxy-l4]=$exproxy_pid)
declare -A reference=([direct]=haproxy-http [haproxy-http]=haproxy-http [nginx]=haproxy-http [exproxy-l7]=haproxy-http
                      [haproxy-tcp]=haproxy-tcp [exproxy-l4]=haproxy-tcp)
order=(direct haproxy-http haproxy-tcp nginx exproxy-l7 exproxy-l4)
read -r -a tests <<<"${TESTS:-small big fresh h2 upload chunked}"   # TESTS="upload chunked" runs some
targets() { case $1 in h2) echo haproxy-http nginx exproxy-l7 ;; chunked) echo direct haproxy-http nginx exproxy-l7 ;; *) echo "${order[@]}" ;; esac; }

for t in "${order[@]}"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://${target[$t]}/owa/small" && break; sleep 0.2; done
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://${target[$t]}/owa/1mb")
    [ "$got" = "200 1048576" ] || { echo "$t answered '$got' for /owa/1mb, not '200 1048576'" >&2; exit 1; }
done
for t in $(targets h2); do
    got=$(curl -sk --http2 -o /dev/null -w '%{http_code} %{http_version}' "https://${tls[$t]}/owa/small")
    [ "$got" = "200 2" ] || { echo "$t answered '$got' over TLS, not '200 2' (HTTP/2)" >&2; exit 1; }
done

# wrk's and h2load's figures with their units, in ms and MB, for awk.
units='function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       function mb(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /KB$/) return v / 1024; if (v ~ /MB$/) return v + 0; return v / 1048576 }'

# One wrk run: requests/s, MB/s, p50 and p99 in ms.
measure() { # target, connections, path, extra wrk arguments
    wrk -t2 -c"$2" -d"$duration" --latency "${@:4}" "http://${target[$1]}$3" | awk "$units"'
        /Requests\/sec/ { rps = $2 } /Transfer\/sec/ { mbs = mb($2) } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%s %s %s %s\n", rps, mbs, p50, p99 }'
}

# One h2load run over TLS: the same four figures, the latencies from its per-request log.
measure_h2() { # target
    h2load -t2 -c16 -m10 -D "${duration%s}" --warm-up-time=1 --log-file="$work/h2.log" "https://${tls[$1]}/owa/small" > "$work/h2.out"
    awk '/^requests:/ { if ($2 == 0 || $10 + $12 > 0) { print "h2load: " $0 > "/dev/stderr"; exit 1 } }
         /^status codes:/ { if ($5 + $7 + $9 > 0) { print "h2load: " $0 > "/dev/stderr"; exit 1 } }' "$work/h2.out"
    read -r rps mbs < <(awk "$units"'/^finished in/ { gsub(",", ""); v = $6; sub("/s$", "", v); print $4, mb(v) }' "$work/h2.out")
    read -r p50 p99 < <(cut -f3 "$work/h2.log" | sort -n | awk '{ v[NR] = $1 } END { printf "%s %s\n", v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000 }')
    echo "$rps $mbs $p50 $p99"
}

# One 1 GB upload: MB/s (twice, for the rate and MB/s columns), and no latencies.
measure_upload() { # target, extra curl arguments
    read -r speed code < <(curl -s -o "$work/upload.out" -w '%{speed_upload} %{http_code}\n' -X POST -T "$work/1gb" -H 'Expect:' \
        -H 'Content-Type: application/octet-stream' "${@:2}" "http://${target[$1]}/owa/upload")
    [ "$code" = 200 ] || { echo "$1 answered $code to the upload: $(head -c 300 "$work/upload.out")" >&2; tail -5 "$work/exproxy.log" >&2; exit 1; }
    mbs=$(echo "$speed / 1048576" | bc -l)
    echo "$mbs $mbs 0 0"
}

run() { # test, target
    case $1 in
        upload) measure_upload "$2" ;;
        chunked) measure_upload "$2" -H 'Transfer-Encoding: chunked' ;;
        small) measure "$2" 64 /owa/small ;;
        big) measure "$2" 16 /owa/1mb ;;
        fresh) measure "$2" 16 /owa/small -H "Connection: close" ;;
        h2) measure_h2 "$2" ;;
    esac
}

for test in "${tests[@]}"; do case $test in upload|chunked) ;; *) for t in $(targets "$test"); do run "$test" "$t" >/dev/null; done ;; esac; done   # warm-up

# The proxy's CPU time, user and system, in clock ticks: per request it is steadier than the rate.
cpu_ticks() { if [ -n "${process[$1]:-}" ]; then awk '{print $14 + $15}' "/proc/${process[$1]}/stat"; else echo 0; fi; }

# Every round's figures, space-separated per test, target and figure; the table shows their median.
declare -A all
for r in $(seq "$rounds"); do
    for test in "${tests[@]}"; do
        for t in $(targets "$test"); do
            c0=$(cpu_ticks "$t")
            read -r rps mbs p50 p99 < <(run "$test" "$t")
            case $test in
                # Uploads: CPU seconds per GB.
                upload|chunked) cpu=$(echo "($(cpu_ticks "$t") - $c0) / $(getconf CLK_TCK)" | bc -l) ;;
                *) seconds=$(( ${duration%s} + $([ "$test" = h2 ] && echo 1 || echo 0) ))   # h2load's warm-up second too
                   cpu=$(echo "($(cpu_ticks "$t") - $c0) * 1000000 / $(getconf CLK_TCK) / ($rps * $seconds)" | bc -l) ;;
            esac
            for k in rps mbs p50 p99 cpu; do all[$test,$t,$k]="${all[$test,$t,$k]:-} ${!k}"; done
        done
    done
done

# Peak RSS under the load, before the idle test adds to it.
declare -A peak
for t in "${!process[@]}"; do peak[$t]=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/${process[$t]}/status"); done
# Idle connections after the load, the proxies warm as in service: RSS growth in MB per 10,000 connections.
idle_mb() { # target
    python3 - "${target[$1]}" "${process[$1]}" "$idle" <<'PY'
import socket, sys, time
address, pid, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = address.rsplit(":", 1)
def rss():
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
before, connections = rss(), []
for _ in range(count):
    connection = socket.create_connection((host, int(port)), timeout=10)
    connection.sendall(b"GET /owa/small HTTP/1.1\r\nHost: bench\r\n\r\n")
    answer = b""
    while not answer.endswith(b"CONTOSO.TEST"):
        chunk = connection.recv(4096)
        if not chunk:
            sys.exit(f"{address} closed connection {len(connections) + 1} of {count}")
        answer += chunk
    connections.append(connection)
time.sleep(1)
held = rss()
for connection in connections:
    connection.close()
time.sleep(30)
print(f"{(held - before) / 1024 * 10000 / count:.1f} {rss() / before:.2f}")
PY
}
declare -A idle_rss after_close
if [ "$idle" -gt 0 ]; then
    for t in haproxy-http haproxy-tcp nginx exproxy-l7 exproxy-l4; do read -r idle_rss[$t] after_close[$t] < <(idle_mb "$t"); sleep 2; done
fi

median() { tr ' ' '\n' <<<"${all[$1,$2,$3]}" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
lowest() { tr ' ' '\n' <<<"${all[$1,$2,$3]}" | grep . | sort -g | head -1; }
highest() { tr ' ' '\n' <<<"${all[$1,$2,$3]}" | grep . | sort -g | tail -1; }
echo "test,target,requests_per_s,requests_per_s_low,requests_per_s_high,mb_per_s,p50_ms,p99_ms,cpu_us_per_request,ratio_to_haproxy,ratio_to_direct,peak_rss_mb,idle_mb_per_10k,rss_after_close_ratio" > "$out/results.csv"
printf '%-7s %-13s %10s %15s %9s %8s %8s %7s %9s %9s %7s %12s %11s\n' test target req/s low-high MB/s p50ms p99ms cpu_us x_haproxy x_direct rss_MB idle_MB/10k after_close
for test in "${tests[@]}"; do
    for t in $(targets "$test"); do
        rps=$(median "$test" "$t" rps); mbs=$(median "$test" "$t" mbs); p50=$(median "$test" "$t" p50); p99=$(median "$test" "$t" p99)
        low=$(lowest "$test" "$t" rps); high=$(highest "$test" "$t" rps)
        cpu=$(if [ -n "${process[$t]:-}" ]; then printf '%.1f' "$(median "$test" "$t" cpu)"; fi)
        vs_haproxy=$(printf '%.2f' "$(echo "$rps / $(median "$test" "${reference[$t]}" rps)" | bc -l)")
        vs_direct=$([ "$test" = h2 ] || printf '%.2f' "$(echo "$rps / $(median "$test" direct rps)" | bc -l)")
        printf '%-7s %-13s %10.0f %7.0f-%-7.0f %9.1f %8.2f %8.2f %7s %8sx %8s%s %7s %12s %11s\n' "$test" "$t" "$rps" "$low" "$high" "$mbs" "$p50" "$p99" "${cpu:--}" \
            "$vs_haproxy" "${vs_direct:--}" "${vs_direct:+x}" "${peak[$t]:-}" "${idle_rss[$t]:--}" "${after_close[$t]:--}"
        printf '%s,%s,%.0f,%.0f,%.0f,%.1f,%.3f,%.3f,%s,%s,%s,%s,%s,%s\n' "$test" "$t" "$rps" "$low" "$high" "$mbs" "$p50" "$p99" "$cpu" "$vs_haproxy" "$vs_direct" \
            "${peak[$t]:-}" "${idle_rss[$t]:-}" "${after_close[$t]:-}" >> "$out/results.csv"
    done
done
awk -F, 'NR == 1 { split($0, h, ","); next } { printf "%s{", (NR > 2 ? ",\n" : "[\n"); for (i = 1; i <= NF; i++) printf "%s\"%s\": %s", (i > 1 ? ", " : ""), h[i], ($i ~ /^[0-9.]+$/ ? $i : ($i == "" ? "null" : "\"" $i "\"")); printf "}" } END { print "\n]" }' \
    "$out/results.csv" > "$out/results.json"
echo "ratios: requests/s against HAProxy in the same mode (layer 7: mode http; layer 4: mode tcp; h2: mode http over TLS) and against direct"
echo "upload, chunked: 1 GB POSTed with Content-Length, and chunked; req/s and MB/s are both MB/s, cpu_us is CPU seconds per GB"
echo "cpu_us: the proxy process's CPU time per request (HAProxy's one process serves both modes; nginx: its worker)"
echo "idle: RSS growth per 10,000 idle keep-alive connections, measured with $idle; after_close: RSS 30 s after they closed / RSS before"
